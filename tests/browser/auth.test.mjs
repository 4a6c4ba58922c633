// Issue 6 acceptance 4: the real `edge-connector auth --browser` as a child process; its code is approved or
// denied on the console's device page in a signed-in browser, or left to expire.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ORG, Platform, connectorBin } from './lib/platform.mjs';
import { launchBrowser, newPage, shoot, signIn, tid, waitFor, withArtifacts } from './lib/browser.mjs';
import { confirmIfAsked } from './lib/console.mjs';

let platform;
let browser;
let page;
let short; // the platform with a short --device-code-ttl (the last test)
let current; // the platform of the running test, for failure artifacts
const clis = [];
const state = () => ({ page, platform: current });

// `edge-connector auth --browser --api <url> --install-dir <dir>`, without a display (no xdg-open). Resolves the
// URL and code it prints; `exit` resolves {code, stdout, stderr}.
async function startCli(api) {
  const installDir = await mkdtemp(path.join(tmpdir(), 'edge-browser-auth-'));
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const child = spawn(connectorBin(), ['auth', '--browser', '--api', api, '--install-dir', installDir],
    { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const cli = { child, installDir, stdout: '', stderr: '' };
  clis.push(cli);
  child.stdout.on('data', (d) => { cli.stdout += d; });
  child.stderr.on('data', (d) => { cli.stderr += d; });
  cli.exit = new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout: cli.stdout, stderr: cli.stderr })));
  const printed = await waitFor('the CLI to print its URL and code', () => {
    const url = /To sign in, open (\S+)/.exec(cli.stdout);
    const code = /shows the code ([A-Z]{4}-[A-Z]{4})/.exec(cli.stdout);
    return url && code ? { url: url[1], code: code[1] } : null;
  }, 15000, 50);
  return { ...cli, ...printed };
}

async function exited(cli, timeoutMs = 30000) {
  return waitFor('the CLI to exit', () => Promise.race([cli.exit, new Promise((r) => setTimeout(r, 100, null))]),
    timeoutMs, 0);
}

// Opens the CLI's verificationUriComplete and checks it shows the printed code and the session's org.
async function openDevicePage(cli) {
  assert.match(cli.url, /\/console\/device\.html\?code=/);
  await page.goto(cli.url);
  await waitFor('the device code', async () => (await tid(page, 'device-code').innerText()).includes(cli.code));
  await waitFor('the org', async () => (await tid(page, 'device-org').innerText()).trim() !== '');
  assert.match(await tid(page, 'device-org').innerText(), new RegExp(ORG));
  assert.match(await tid(page, 'device-client').innerText(), /edge-connector/);
}

before(async () => {
  platform = await Platform.start();
  current = platform;
  browser = await launchBrowser();
  page = await newPage(browser);
  await signIn(page, await platform.consoleLink());
});
after(async () => {
  for (const cli of clis) {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await rm(cli.installDir, { recursive: true, force: true });
  }
  await browser?.close();
  await platform?.stop();
  await short?.stop();
});

test('approve: the CLI saves a connector token (0600) and says so', { timeout: 60000 }, () =>
  withArtifacts('auth-approve', state, async () => {
    const cli = await startCli(platform.apiUrl);
    await openDevicePage(cli);
    await tid(page, 'device-approve').click();
    await confirmIfAsked(page);
    await waitFor('Approved', async () => /Approved/.test(await tid(page, 'device-status').innerText()));
    assert.equal(await tid(page, 'device-approve').count() + await tid(page, 'device-deny').count(), 0,
      'the decision buttons are gone');
    await shoot(page, 'device-approved');
    const r = await exited(cli);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const tokenPath = path.join(cli.installDir, 'auth-token.json');
    assert.ok(r.stdout.includes(`Signed in to org ${ORG}; token saved to ${tokenPath} (expires `), r.stdout);
    assert.equal((await stat(tokenPath)).mode & 0o777, 0o600);
  }));

test('deny: the CLI exits 1 with the denied message', { timeout: 60000 }, () =>
  withArtifacts('auth-deny', state, async () => {
    const cli = await startCli(platform.apiUrl);
    await openDevicePage(cli);
    await tid(page, 'device-deny').click();
    await confirmIfAsked(page);
    await waitFor('Denied', async () => /Denied/.test(await tid(page, 'device-status').innerText()));
    assert.equal(await tid(page, 'device-approve').count(), 0, 'the decision buttons are gone');
    await shoot(page, 'device-denied');
    const r = await exited(cli);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(`Sign-in was denied in the console (code ${cli.code}). Run 'edge-connector auth ` +
      "--browser' again if that was a mistake."), r.stderr);
  }));

test('expired: the page shows the request is closed, the CLI says it expired', { timeout: 90000 }, () =>
  withArtifacts('auth-expired', state, async () => {
    short = await Platform.start(['--device-code-ttl', '5s']);
    current = short;
    page = await newPage(browser);
    await signIn(page, await short.consoleLink());
    const cli = await startCli(short.apiUrl);
    await openDevicePage(cli);
    const r = await exited(cli, 30000);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(`The sign-in code ${cli.code} expired before it was approved (codes last 5 ` +
      "seconds). Run 'edge-connector auth --browser' again."), r.stderr);

    // The page still offers the buttons it had: a late approval is refused and shown as text.
    if (await tid(page, 'device-approve').count()) {
      await tid(page, 'device-approve').click();
      await confirmIfAsked(page);
      await waitFor('the refusal', async () => (await tid(page, 'alert').isVisible()) ||
        !/pending/i.test(await tid(page, 'device-status').innerText()));
      if (await tid(page, 'alert').isVisible()) {
        const message = await tid(page, 'alert').innerText();
        assert.doesNotMatch(message, /^\s*\{/, `the alert is text, not JSON: ${message}`);
      }
    }
    // Opened now, the page says the request is no longer pending and offers no decision.
    await page.reload();
    await waitFor('a closed request', async () => {
      const status = (await tid(page, 'device-status').innerText()).trim();
      return status && !/pending/i.test(status);
    });
    assert.match(await tid(page, 'device-status').innerText(), /expired/i);
    assert.equal(await tid(page, 'device-approve').count(), 0, 'no approve button on an expired request');
    await shoot(page, 'device-expired');
  }));
