// Issue 6 acceptance 2 (and 6): the seed flow through the console's UI against a real platform and a real cloud
// connector: sign in, create a deployment, provision, start, see it Running with a live heartbeat, invoke a
// built-in diagnostics tool, stop, delete; screenshots of every page at 1280 and 400 px along the way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ORG, Platform } from './lib/platform.mjs';
import { launchBrowser, newPage, shoot, signIn, tid, waitFor, withArtifacts } from './lib/browser.mjs';
import { clickAction, confirmIfAsked, connectorRow, connState } from './lib/console.mjs';

let platform;
let browser;
let page;
const state = () => ({ page, platform });

before(async () => {
  platform = await Platform.start();
  browser = await launchBrowser();
  page = await newPage(browser);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
});

test('seed flow: create, provision, start, invoke, stop, delete through the UI', { timeout: 150000 }, () =>
  withArtifacts('seed', state, async () => {
    const link = await platform.consoleLink();
    const answer = await page.goto(link);
    // The page headers of docs/console.md 2.1 (the link's token must not leak through a Referer).
    const headers = answer.headers();
    assert.match(headers['content-security-policy'] ?? '', /default-src 'self'/);
    assert.equal(headers['x-frame-options'], 'DENY');
    assert.equal(headers['referrer-policy'], 'no-referrer');
    await tid(page, 'signin-button').waitFor();
    await shoot(page, 'signin');
    await signIn(page, link);
    assert.match(await tid(page, 'session-org').innerText(), new RegExp(ORG));

    // Create: the secret is shown once, in a dialog that says so.
    await tid(page, 'create-name').fill('site-a');
    await tid(page, 'create-deployment').click();
    const dialog = tid(page, 'secret-dialog');
    await dialog.waitFor({ state: 'visible' });
    const id = (await tid(page, 'secret-deployment-id').innerText()).trim();
    const secret = (await tid(page, 'secret-value').innerText()).trim();
    assert.match(id, /^\S+$/, 'secret-deployment-id holds the new id');
    assert.ok(secret.length >= 16, `secret-value holds the secret (${secret.length} chars)`);
    assert.match(await dialog.innerText(), /once/i, 'the dialog says the secret is shown only once');
    await shoot(page, 'secret-dialog');
    await tid(page, 'secret-close').click();
    await dialog.waitFor({ state: 'hidden' });
    const row = page.locator(`tr[data-deployment-id="${id}"]`);
    await row.waitFor({ state: 'visible' });
    assert.match(await row.getByTestId('dep-name').innerText(), /site-a/);
    await shoot(page, 'deployments');

    // Detail: provision the cloud connector, start it, and watch it reach Running without a reload.
    await row.getByTestId('dep-name').click();
    await page.waitForURL((u) => u.pathname === `/console/deployments/${id}`);
    assert.equal((await tid(page, 'deployment-id').innerText()).trim(), id);
    await clickAction(page, 'action-provision');
    const cloud = connectorRow(page, 'cloud');
    await waitFor('the cloud connector Stopped', async () => /^Stopped\b/.test(await connState(cloud)), 30000);
    const connectorId = await cloud.getAttribute('data-connector-id');
    assert.ok(connectorId, 'the connector row names its id');
    assert.equal(await tid(page, 'action-force-complete').count(), 0, 'no force-complete when not stuck');
    await page.evaluate(() => { window.__sameDocument = true; });
    await clickAction(page, 'action-start');
    await waitFor('the cloud connector Running', async () => /^Running\b/.test(await connState(cloud)), 45000);

    // A fresh heartbeat: shown, and updated by the page's polling (no reload) as new heartbeats arrive.
    const heartbeat = cloud.getByTestId('conn-heartbeat');
    const first = await waitFor('a heartbeat', async () => {
      const text = (await heartbeat.innerText()).trim();
      return text && !/never/i.test(text) ? text : null;
    }, 15000);
    assert.doesNotMatch(first, /\b(min|minutes?|hours?|days?)\b/i, `the heartbeat is seconds old: ${first}`);
    await waitFor('the heartbeat to update', async () => (await heartbeat.innerText()).trim() !== first, 10000);
    assert.ok(await page.evaluate(() => window.__sameDocument === true), 'the page updated without a reload');
    await tid(page, 'tools-list').locator('[data-tool-name="edge.ping"]').waitFor({ timeout: 10000 });
    await shoot(page, 'deployment-running');

    // Tools: a built-in diagnostics tool of the running connector, with arguments, invoked through the page.
    await tid(page, 'nav-tools').click();
    await page.waitForURL((u) => u.pathname === '/console/tools.html');
    await waitFor('edge.ping in tool-select',
      async () => (await tid(page, 'tool-select').locator('option[value="edge.ping"]').count()) > 0, 15000);
    await tid(page, 'tool-select').selectOption('edge.ping');
    await tid(page, 'deployment-select').selectOption(id);
    assert.match(await tid(page, 'tool-description').innerText(), /ping/i);
    assert.equal((await tid(page, 'tool-args').inputValue()).trim().length > 0, true, 'tool-args is prefilled');
    await tid(page, 'tool-args').fill('{"message":"hello from the console"}');
    await tid(page, 'invoke-button').click();
    const result = tid(page, 'invoke-result');
    await waitFor('the invoke result', async () => /hello from the console/.test(await result.innerText()), 20000);
    assert.notEqual(await result.getAttribute('data-is-error'), 'true');
    assert.ok((await tid(page, 'invoke-status').innerText()).trim().length > 0, 'invoke-status shows the call');
    await shoot(page, 'tools-result');

    // Arguments the schema refuses: the platform's 400 shows as a sentence naming the field, never as JSON.
    const alert = tid(page, 'alert');
    await tid(page, 'tool-args').fill('{"message":42}');
    await tid(page, 'invoke-button').click();
    await waitFor('the invalid-arguments alert', () => alert.isVisible(), 20000);
    assert.match(await alert.innerText(), /\/message/, 'the alert names the failing field');
    assert.doesNotMatch(await alert.innerText(), /^\s*[{[]|"error"\s*:/, 'the alert is text, not JSON');
    await shoot(page, 'tools-invalid-arguments');
    // Text that is not JSON is refused in the page, before anything is sent.
    await tid(page, 'tool-args').fill('{"message": ');
    await tid(page, 'invoke-button').click();
    await waitFor('the JSON alert', async () => /JSON/.test(await alert.innerText()), 5000);

    await tid(page, 'nav-bundles').click();
    await page.waitForURL((u) => u.pathname === '/console/bundles.html');
    await tid(page, 'bundles-table').waitFor();
    await shoot(page, 'bundles');

    // Back to the detail page: stop, then delete with a confirmation that names the connector.
    await tid(page, 'nav-deployments').click();
    await page.waitForURL((u) => u.pathname === '/console/');
    const listed = page.locator(`tr[data-deployment-id="${id}"]`);
    // activeConnectorCount counts the Running cloud connector (dep-status is the self-hosted link: docs/api.md).
    await waitFor('dep-connectors 1', async () => (await listed.getByTestId('dep-connectors').innerText()).trim() === '1',
      10000);
    await shoot(page, 'deployments-running');
    await listed.getByTestId('dep-name').click();
    await page.waitForURL((u) => u.pathname === `/console/deployments/${id}`);
    await waitFor('Running on the detail page', async () => /^Running\b/.test(await connState(cloud)), 15000);
    await clickAction(page, 'action-stop');
    await confirmIfAsked(page);
    await waitFor('the cloud connector Stopped again', async () => /^Stopped\b/.test(await connState(cloud)), 45000);
    // The deployment cannot go while its cloud connector exists: the refusal is a readable alert.
    await tid(page, 'delete-deployment').click();
    await tid(page, 'confirm-dialog').waitFor({ state: 'visible' });
    await tid(page, 'confirm-ok').click();
    await waitFor('the cloud_connector_exists alert', async () => /cloud connector/i.test(await tid(page, 'alert').innerText()));
    assert.doesNotMatch(await tid(page, 'alert').innerText(), /^\s*\{/);
    assert.ok((await platform.deployments()).some((d) => d.id === id), 'the deployment is still there');
    await clickAction(page, 'action-delete');
    await tid(page, 'confirm-dialog').waitFor({ state: 'visible' });
    assert.match(await tid(page, 'confirm-message').innerText(), new RegExp(connectorId));
    await shoot(page, 'confirm-delete');
    await tid(page, 'confirm-ok').click();
    await page.locator(`tr[data-connector-id="${connectorId}"]`).waitFor({ state: 'detached', timeout: 30000 });
    await tid(page, 'action-provision').waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await tid(page, 'action-delete').count(), 0);

    // Now the deployment itself: the confirmation names it; afterwards the list no longer has it.
    await tid(page, 'delete-deployment').click();
    await tid(page, 'confirm-dialog').waitFor({ state: 'visible' });
    assert.match(await tid(page, 'confirm-message').innerText(), new RegExp(id));
    await tid(page, 'confirm-ok').click();
    await page.waitForURL((u) => u.pathname === '/console/');
    await tid(page, 'deployments-table').waitFor();
    await page.locator(`tr[data-deployment-id="${id}"]`).waitFor({ state: 'detached', timeout: 10000 });
    assert.ok(!(await platform.deployments()).some((d) => d.id === id), 'the deployment is gone');

    // The device sign-in page, for a code the CLI would have asked for.
    const code = await (await fetch(`${platform.apiUrl}/api/v1/device/code`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ clientName: 'edge-connector on screenshot-host' }), signal: AbortSignal.timeout(10000),
    })).json();
    await page.goto(code.verificationUriComplete);
    await waitFor('the device code', async () => (await tid(page, 'device-code').innerText()).includes(code.userCode));
    await shoot(page, 'device');

    const missing = await page.goto(`${platform.apiUrl}/console/no-such-page.html`);
    assert.equal(missing.status(), 404);
    await shoot(page, 'not-found');

    await page.goBack();
    await tid(page, 'device-code').waitFor();
    await tid(page, 'signout').click();
    await tid(page, 'signed-out').waitFor({ state: 'visible' });
    await shoot(page, 'signed-out');
    assert.deepEqual(page.uncaught, [], 'no uncaught page errors');
    assert.deepEqual(page.cspViolations, [], 'no Content-Security-Policy violations');
  }));
