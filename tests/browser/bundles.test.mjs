// Issue 6, the bundle parts of the pages: the bundles page lists each version with its upload time, size,
// checksum and tools, and sets the org default; the deployments list shows the resolved bundle; the detail
// page assigns a pinned version (shown with its time and checksum) and removes the assignment again. The bundle
// is a real one: the echo example packaged by `edge-connector package` and uploaded by `edge-connector upload`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Platform, connectorBin, run } from './lib/platform.mjs';
import { launchBrowser, newPage, shoot, signIn, tid, waitFor, withArtifacts } from './lib/browser.mjs';
import { openDeployment } from './lib/console.mjs';

let platform;
let browser;
let page;
let work;
const state = () => ({ page, platform });

// `edge-connector package` of the echo plugin, then `upload --name examples`; the uploaded version's JSON.
async function uploadEchoBundle() {
  const echo = process.env.EDGE_ECHO_PLUGIN;
  assert.ok(echo, 'EDGE_ECHO_PLUGIN is not set: run the suite through ctest (tests/browser/README.md)');
  const impl = path.join(work, 'implementations');
  const out = path.join(work, 'out');
  await mkdir(impl, { recursive: true });
  await mkdir(out, { recursive: true });
  await copyFile(echo, path.join(impl, 'echo.so'));
  const env = { ...process.env, EDGE_ADMIN_TOKEN: platform.token };  // names the org for the manifest
  const pkg = await run(connectorBin(), ['package', '--implementations', impl, '--out', out], { env, timeoutMs: 60000 });
  assert.equal(pkg.code, 0, `package failed:\n${pkg.stdout}${pkg.stderr}`);
  const archive = (await readdir(out)).find((f) => f.endsWith('.tgz'));
  assert.ok(archive, `no .tgz in ${out}`);
  const up = await run(connectorBin(), ['upload', '--api', platform.apiUrl, '--file', path.join(out, archive),
    '--name', 'examples'], { env, timeoutMs: 60000 });
  assert.equal(up.code, 0, `upload failed:\n${up.stdout}${up.stderr}`);
  const list = await platform.api('GET', '/api/v1/bundles');
  assert.equal(list.status, 200, list.text);
  const bundle = list.json.bundles.find((b) => b.name === 'examples');
  assert.ok(bundle, list.text);
  return bundle;
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'edge-browser-bundles-'));
  platform = await Platform.start();
  browser = await launchBrowser();
  page = await newPage(browser);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('bundles page, org default and a pinned assignment', { timeout: 120000 }, () =>
  withArtifacts('bundles', state, async () => {
    const bundle = await uploadEchoBundle();
    // A second version (the test hook stores bytes as the next version), so there is something to pin.
    const raw = await fetch(`${platform.apiUrl}/api/v1/test/raw-bundle-version?bundleId=${bundle.id}`, {
      method: 'POST', headers: { Authorization: `Bearer ${platform.token}` }, body: 'not really a bundle',
      signal: AbortSignal.timeout(10000),
    });
    assert.equal(raw.status, 201, await raw.text());
    const full = (await platform.api('GET', `/api/v1/bundles/${bundle.id}`)).json;
    const v1 = full.versions.find((v) => v.version === 1);
    assert.ok(v1, JSON.stringify(full));
    const created = await platform.api('POST', '/api/v1/deployments', { name: 'bundle-site' });
    assert.equal(created.status, 201, created.text);
    const dep = created.json.id;

    await signIn(page, await platform.consoleLink());
    await tid(page, 'nav-bundles').click();
    const row = page.locator(`tr[data-bundle-id="${bundle.id}"]`);
    await row.waitFor({ state: 'visible' });
    assert.equal((await row.getByTestId('bundle-name').innerText()).trim(), 'examples');
    assert.equal((await row.getByTestId('bundle-default').innerText()).trim(), '', 'not the default yet');
    const first = row.locator('tr[data-version="1"]');
    assert.match(await first.getByTestId('version-tools').innerText(), /\becho\b/);
    assert.match(await first.getByTestId('version-size').innerText(), /\d/);
    assert.match(await first.getByTestId('version-uploaded').innerText(), /\d\d:\d\d/);
    // The checksum is shown (shortened at most), and its full value is on the element.
    const checksumCell = first.getByTestId('version-checksum');
    const hex = v1.checksum.replace(/^sha256:/, '');
    assert.ok((await checksumCell.innerText()).includes(hex.slice(0, 8)), await checksumCell.innerText());
    assert.ok((await checksumCell.innerHTML()).includes(hex), 'the full checksum is on the element');
    await row.locator('tr[data-version="2"]').waitFor({ state: 'visible' });

    await row.getByTestId('set-default').click();
    await waitFor('the default badge', async () => /default/i.test(await row.getByTestId('bundle-default').innerText()));
    const listed = await platform.api('GET', '/api/v1/bundles');
    assert.ok(listed.json.bundles.find((b) => b.id === bundle.id).isDefault, listed.text);
    await shoot(page, 'bundles');

    // The deployments list resolves the org default: the latest version.
    await tid(page, 'nav-deployments').click();
    const depRow = page.locator(`tr[data-deployment-id="${dep}"]`);
    await waitFor('dep-bundle "examples v2"', async () =>
      /examples v2/.test(await depRow.getByTestId('dep-bundle').innerText()));

    // Pin version 1 for this deployment, then remove the assignment: back to the default.
    await openDeployment(page, platform, dep);
    await tid(page, 'bundle-select').selectOption(bundle.id);
    await tid(page, 'version-select').selectOption('1');
    await tid(page, 'assign-bundle').click();
    const box = tid(page, 'bundle-assignment');
    await waitFor('version 1 pinned', async () => /version 1 \(pinned\)/.test(await box.innerText()));
    assert.ok((await box.innerText()).includes(hex.slice(0, 8)), `the resolved checksum: ${await box.innerText()}`);
    assert.match(await box.innerText(), /uploaded \d\d:\d\d/);
    const target = await platform.api('GET', `/api/v1/deployments/${dep}/bundle`);
    assert.equal(target.json?.version, 1, target.text);
    assert.equal(target.json?.source, 'assignment', target.text);
    await shoot(page, 'deployment-bundle');

    await tid(page, 'unassign-bundle').click();
    await waitFor('back to the org default', async () => /org default/.test(await box.innerText()));
    const after = await platform.api('GET', `/api/v1/deployments/${dep}/bundle`);
    assert.equal(after.json?.source, 'default', after.text);
    assert.equal(after.json?.version, 2, after.text);
  }));
