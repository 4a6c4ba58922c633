// Issue 6 acceptance 3: a start that hangs (the cloud-driver-fault test hook) turns "stuck" after the short
// --cloud-start-timeout-ms; only then does Force Complete appear, and it takes the connector to Stopped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Platform } from './lib/platform.mjs';
import { launchBrowser, newPage, shoot, signIn, tid, waitFor, withArtifacts } from './lib/browser.mjs';
import { clickAction, confirmIfAsked, connectorRow, connState, openDeployment } from './lib/console.mjs';

let platform;
let browser;
let page;
const state = () => ({ page, platform });

before(async () => {
  platform = await Platform.start(['--cloud-start-timeout-ms', '4000']);
  browser = await launchBrowser();
  page = await newPage(browser);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
});

test('a stuck start offers Force Complete, which reaches Stopped', { timeout: 120000 }, () =>
  withArtifacts('stuck', state, async () => {
    const created = await platform.api('POST', '/api/v1/deployments', { name: 'stuck-site' });
    assert.equal(created.status, 201, created.text);
    const id = created.json.id;
    await signIn(page, await platform.consoleLink());
    await openDeployment(page, platform, id, { byQuery: true }); // the seed flow uses /console/deployments/<id>
    assert.equal((await tid(page, 'deployment-id').innerText()).trim(), id);

    await clickAction(page, 'action-provision');
    const cloud = connectorRow(page, 'cloud');
    await waitFor('the cloud connector Stopped', async () => /^Stopped\b/.test(await connState(cloud)), 30000);

    // The next start does nothing at all: no process, so the connector stays Starting until it is stuck.
    const fault = await platform.api('POST', '/api/v1/test/cloud-driver-fault',
      { operation: 'start', mode: 'hang', count: 1 });
    assert.equal(fault.status, 200, fault.text);
    await clickAction(page, 'action-start');
    // The 4 s limit leaves a window in which it is Starting but not stuck yet: no Force Complete then.
    await waitFor('Starting', async () => /^Starting$/.test(await connState(cloud)), 3000, 50);
    assert.equal(await tid(page, 'action-force-complete').count(), 0, 'no Force Complete before stuck');
    await waitFor('"stuck"', async () => /stuck/i.test(await connState(cloud)), 20000);
    await tid(page, 'action-force-complete').waitFor({ state: 'visible', timeout: 5000 });
    await shoot(page, 'deployment-stuck');

    await tid(page, 'action-force-complete').click();
    await confirmIfAsked(page);
    await waitFor('Stopped after force-complete', async () => /^Stopped\b/.test(await connState(cloud)), 20000);
    assert.doesNotMatch(await connState(cloud), /stuck/i);
    await tid(page, 'action-force-complete').waitFor({ state: 'detached', timeout: 10000 });
    await tid(page, 'action-start').waitFor({ state: 'visible' }); // retry is allowed again
    const api = await platform.api('GET', `/api/v1/deployments/${id}/cloud-connector`);
    assert.equal(api.json?.state, 'Stopped', api.text);
  }));
