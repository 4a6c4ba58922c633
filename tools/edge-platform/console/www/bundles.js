// The bundles page: each bundle with its versions (upload time, size, checksum, tools), and "set default"
// (docs/console.md section 2.2, docs/api.md "Bundles").
import { api, enc } from '/console/api.js';
import {
  byTestId, checksumEl, clearAlert, el, fmtTimeAge, fmtSize, mountChrome, poll, requireSession, showAlert,
} from '/console/ui.js';

let poller = null;

function versionsTable(b) {
  const rows = (b.versions || []).map((v) => el('tr', { dataset: { version: String(v.version) } },
    el('td', { className: 'num', dataset: { label: 'Version' }, text: `v${v.version}` }),
    el('td', { testid: 'version-uploaded', dataset: { label: 'Uploaded' }, text: fmtTimeAge(v.uploadedAtMs),
      title: `${new Date(v.uploadedAtMs).toISOString()}${v.uploadedBy ? ` by ${v.uploadedBy}` : ''}` }),
    el('td', { testid: 'version-size', dataset: { label: 'Size' }, text: fmtSize(v.size), title: `${v.size} bytes` }),
    el('td', { testid: 'version-checksum', dataset: { label: 'Checksum' } }, checksumEl(v.checksum)),
    el('td', { testid: 'version-tools', dataset: { label: 'Tools' }, text: (v.tools || []).join(', ') || '(none)' }),
    el('td', { dataset: { label: '' }, className: 'muted small',
      text: [v.signed ? 'signed' : '', b.isDefault && b.defaultVersion === v.version ? 'default (pinned)' : '']
        .filter(Boolean).join(' · ') })));
  if (rows.length === 0) return el('p', { className: 'empty', text: 'No versions.' });
  return el('table', { className: 'stack versions' },
    el('thead', {}, el('tr', {},
      ...['Version', 'Uploaded', 'Size', 'Checksum', 'Tools', ''].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...rows));
}

function bundleRow(b) {
  const setDefault = el('button', { testid: 'set-default', type: 'button', text: 'Make default',
    title: 'Make this bundle the org default, following its latest version' });
  setDefault.addEventListener('click', () => makeDefault(b, setDefault));
  const def = b.isDefault ? 'default' : '';
  return el('tr', { dataset: { bundleId: b.id } },
    el('td', { className: 'bundle-title' },
      el('h2', { testid: 'bundle-name', text: b.name }),
      el('code', { className: 'muted', text: b.id })),
    el('td', { className: 'bundle-meta' },
      el('span', { testid: 'bundle-default', className: def ? 'badge ok' : '', text: def }),
      b.isDefault && b.defaultVersion !== null
        ? el('span', { className: 'muted', text: ` pinned to v${b.defaultVersion}` }) : '',
      el('span', { className: 'muted', text: ` latest v${b.latestVersion ?? '–'}` })),
    el('td', { className: 'actions' }, setDefault),
    el('td', { className: 'bundle-versions' }, versionsTable(b)));
}

async function makeDefault(b, button) {
  button.disabled = true;
  try {
    await api('POST', `/api/v1/bundles/${enc(b.id)}/default`, {});
    clearAlert();
  } catch (e) {
    showAlert(e.message);
  }
  button.disabled = false;
  poller.refresh();
}

async function refresh() {
  const { bundles } = await api('GET', '/api/v1/bundles');
  const tbody = byTestId('bundles-table').tBodies[0];
  // Rebuild only when the data changed (no flicker, no lost clicks); otherwise just update the ages.
  const sig = JSON.stringify(bundles);
  if (tbody.dataset.sig !== sig) {
    tbody.dataset.sig = sig;
    tbody.replaceChildren(...bundles.map(bundleRow));
    // The table stays visible when empty, with a row that says so.
    if (bundles.length === 0) {
      tbody.append(el('tr', { className: 'empty-row' },
        el('td', { className: 'empty', text: 'No bundles uploaded yet.' })));
    }
  } else {
    for (const b of bundles) {
      for (const v of b.versions || []) {
        const row = tbody.querySelector(`tr[data-bundle-id="${CSS.escape(b.id)}"] tr[data-version="${v.version}"]`);
        const td = row && row.querySelector('[data-testid="version-uploaded"]');
        if (td) td.textContent = fmtTimeAge(v.uploadedAtMs);
      }
    }
  }
}

async function main() {
  mountChrome();
  await requireSession();
  document.getElementById('content').hidden = false;
  poller = poll(refresh, 2000);
}

main().catch((e) => { if (e.status !== 401) showAlert(e.message); });
