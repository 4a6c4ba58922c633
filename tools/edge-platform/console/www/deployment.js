// The deployment detail page (/console/deployments/{id} or deployment.html?id=): connectors and their allowed
// actions, the bundle assignment and the registered tools (docs/console.md section 2.2).
import { api, enc } from '/console/api.js';
import {
  byTestId, checksumEl, clearAlert, confirm, el, fmtDuration, fmtTime, fmtTimeAge, mountChrome, poll,
  requireSession, setOptions, showAlert, stateClass,
} from '/console/ui.js';

const pathId = /^\/console\/deployments\/([^/]+)\/?$/.exec(location.pathname);
const depId = pathId ? decodeURIComponent(pathId[1]) : new URLSearchParams(location.search).get('id');
const base = `/api/v1/deployments/${enc(depId || '')}`;
const LABELS = ['Connector', 'Kind', 'State', 'Last heartbeat', 'Time in state', ''];
const ACTIONS = [  // allowedActions entry -> button
  ['start', 'action-start', 'Start', 'POST', '/cloud-connector/start'],
  ['stop', 'action-stop', 'Stop', 'POST', '/cloud-connector/stop'],
  ['force-complete', 'action-force-complete', 'Force Complete', 'POST', '/cloud-connector/force-complete'],
  ['delete', 'action-delete', 'Delete', 'DELETE', '/cloud-connector'],
];
let poller = null;
let bundles = [];

function renderDeployment(dep) {
  byTestId('deployment-name').textContent = dep.name;
  document.title = `${dep.name} · edge-platform console`;
  byTestId('deployment-id').textContent = dep.id;
  const status = byTestId('deployment-status');
  // The API's status is the self-hosted link's; a Running cloud connector also makes the deployment online.
  const shown = dep.activeConnectorCount > 0 ? 'online' : dep.status;
  status.textContent = shown;
  status.className = stateClass(shown);
  renderTools(dep.tools || []);
}

function connectorRow(c) {
  const cells = ['conn-id', 'conn-kind', 'conn-state', 'conn-heartbeat', 'conn-time-in-state', 'conn-actions']
    .map((id, i) => el('td', { testid: id, dataset: { label: LABELS[i] } }));
  cells[0].className = 'primary';
  cells[5].className = 'actions';
  return el('tr', { dataset: { connectorId: c.id, kind: c.kind } }, ...cells);
}

function fillConnector(tr, c) {
  tr.dataset.kind = c.kind;
  const idCell = byTestId('conn-id', tr);
  idCell.replaceChildren(el('code', { text: c.id }));
  if (c.failed && c.lastError) idCell.append(el('div', { className: 'sub error-text', text: c.lastError }));
  else if (c.restartAtMs) {
    const text = `restart ${c.restarts || 0}, next at ${fmtTime(c.restartAtMs)}`;
    idCell.append(el('div', { className: 'sub', text }));
  }
  byTestId('conn-kind', tr).textContent = c.kind;
  const flags = [c.stuck ? 'stuck' : '', c.failed ? 'failed' : ''].filter(Boolean);
  byTestId('conn-state', tr).replaceChildren(el('span', {
    className: stateClass(c.state, c), text: [c.state, ...flags].join(' '),
    title: c.stuck && c.limitMs ? `over its ${fmtDuration(c.limitMs)} limit` : c.lastError || '',
  }));
  byTestId('conn-heartbeat', tr).textContent = fmtTimeAge(c.lastHeartbeatAtMs);
  const inState = typeof c.inStateMs === 'number' ? c.inStateMs : c.stateSinceMs ? Date.now() - c.stateSinceMs : null;
  byTestId('conn-time-in-state', tr).textContent = inState === null ? '' : fmtDuration(inState);
  // Rebuild the buttons only when the allowed set changes, so a click is never lost to a refresh.
  const allowed = (c.allowedActions || []).join(',');
  const cell = byTestId('conn-actions', tr);
  if (cell.dataset.allowed !== allowed) {
    cell.dataset.allowed = allowed;
    const buttons = ACTIONS.filter(([a]) => (c.allowedActions || []).includes(a));
    cell.replaceChildren(...buttons.map(([a, testid, label, method, path]) => el('button', {
      testid, type: 'button', text: label, className: a === 'delete' || a === 'force-complete' ? 'danger' : '',
      on: { click: (ev) => connectorAction(ev.currentTarget, a, method, path, tr.dataset.connectorId) },
    })));
  }
}

async function connectorAction(button, action, method, path, connectorId) {
  if (action === 'delete') {
    const ok = await confirm(`Delete cloud connector ${connectorId}? Its instance and credentials are removed; ` +
      'this cannot be undone (a later provision creates a new connector).', 'Delete');
    if (!ok) return;
  }
  await act(button, method, base + path);
}

async function act(button, method, path, body) {
  if (button) button.disabled = true;
  try {
    await api(method, path, body);
    clearAlert();
  } catch (e) {
    showAlert(e.message);
  } finally {
    if (button) button.disabled = false;
    poller.refresh();
  }
}

// Asks first (naming the deployment); the platform refuses while a connector is connected or a cloud connector
// exists, and that refusal shows as the alert. Gone: back to the list.
async function deleteDeployment(button) {
  const name = byTestId('deployment-name').textContent;
  const ok = await confirm(`Delete deployment ${name} (${depId})? Its secret stops working, and its registered ` +
    'tools and bundle assignment are removed. This cannot be undone.', 'Delete deployment');
  if (!ok) return;
  button.disabled = true;
  try {
    await api('DELETE', base);
    poller.stop();
    location.assign('/console/');
  } catch (e) {
    showAlert(e.message);
    button.disabled = false;
  }
}

function renderConnectors(list) {
  const tbody = byTestId('connectors-table').tBodies[0];
  const existing = new Map([...tbody.rows].map((r) => [r.dataset.connectorId, r]));
  list.forEach((c, i) => {
    let tr = existing.get(c.id);
    existing.delete(c.id);
    if (!tr) tr = connectorRow(c);
    fillConnector(tr, c);
    if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] || null);
  });
  for (const tr of existing.values()) tr.remove();
  document.getElementById('no-connectors').hidden = list.length > 0;
  byTestId('action-provision').hidden = list.some((c) => c.kind === 'cloud');
}

function renderTools(tools) {
  const list = byTestId('tools-list');
  const sig = JSON.stringify(tools);
  if (list.dataset.sig === sig) return;  // keep open <details> open
  list.dataset.sig = sig;
  list.replaceChildren(...tools.map((t) => {
    const d = t.descriptor || {};
    const schemas = el('details', {}, el('summary', { text: 'Schemas' }),
      el('h4', { text: 'Input schema' }),
      el('pre', { className: 'json', text: JSON.stringify(d.inputSchema ?? {}, null, 2) }));
    if (d.outputSchema) {
      schemas.append(el('h4', { text: 'Output schema' }),
        el('pre', { className: 'json', text: JSON.stringify(d.outputSchema, null, 2) }));
    } else {
      schemas.append(el('p', { className: 'muted', text: 'No output schema.' }));
    }
    return el('li', { dataset: { toolName: t.name } }, el('code', { className: 'tool-name', text: t.name }),
      el('p', { className: 'tool-desc', text: d.description || 'No description.' }), schemas);
  }));
  document.getElementById('no-tools').hidden = tools.length > 0;
}

function versionOf(bundleId, version) {
  const b = bundles.find((x) => x.id === bundleId);
  return b && (b.versions || []).find((v) => v.version === version);
}

function renderAssignment(target) {
  const box = byTestId('bundle-assignment');
  byTestId('unassign-bundle').disabled = !(target && target.source === 'assignment');
  if (!target || !target.bundleId) {
    box.replaceChildren(el('p', { text: 'none: no bundle assigned and no org default.' }));
    return;
  }
  const v = versionOf(target.bundleId, target.version);
  box.replaceChildren(el('dl', { className: 'facts' },
    el('dt', { text: 'Bundle' }), el('dd', { className: 'assigned-bundle', text: target.bundleName }),
    el('dt', { text: 'Source' }),
    el('dd', { text: target.source === 'default' ? 'org default' : 'this deployment\'s assignment' }),
    el('dt', { text: 'Target' }),
    el('dd', { className: 'target-version', text: target.pinned ? `version ${target.version} (pinned)` : 'latest' }),
    el('dt', { text: 'Resolved' }), el('dd', { className: 'resolved-version' }, `version ${target.version}`,
      v ? `, uploaded ${fmtTimeAge(v.uploadedAtMs)}` : '', ', ', checksumEl(target.checksum))));
}

function renderBundleSelects() {
  const bs = byTestId('bundle-select');
  setOptions(bs, bundles.length ? bundles.map((b) => ({ value: b.id, label: b.name }))
    : [{ value: '', label: 'no bundles uploaded' }]);
  const b = bundles.find((x) => x.id === bs.value);
  const versions = b ? b.versions || [] : [];
  setOptions(byTestId('version-select'), [{ value: 'latest', label: 'latest' },
    ...versions.map((v) => ({ value: String(v.version), label: `${v.version} (${fmtTime(v.uploadedAtMs)})` }))]);
  byTestId('assign-bundle').disabled = bundles.length === 0;
}

async function target() {
  try {
    return await api('GET', `${base}/bundle`);
  } catch (e) {
    if (e.code === 'no_bundle_assigned') return null;
    throw e;
  }
}

async function refresh() {
  const [dep, conns, list, t] = await Promise.all([api('GET', base), api('GET', `${base}/connectors`),
    api('GET', '/api/v1/bundles'), target()]);
  bundles = list.bundles || [];
  renderDeployment(dep);
  renderConnectors(conns.connectors || []);
  renderBundleSelects();
  renderAssignment(t);
}

async function main() {
  mountChrome();
  await requireSession();
  document.getElementById('content').hidden = false;
  if (!depId) return showAlert('No deployment id in the address: open a deployment from the deployments list.');
  byTestId('deployment-id').textContent = depId;
  const provision = byTestId('action-provision');
  provision.addEventListener('click', () => act(provision, 'POST', `${base}/cloud-connector`));
  byTestId('bundle-select').addEventListener('change', renderBundleSelects);
  document.getElementById('assign-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const bundleId = byTestId('bundle-select').value;
    if (!bundleId) return showAlert('Choose a bundle to assign.');
    const version = byTestId('version-select').value;
    const body = version === 'latest' ? { bundleId } : { bundleId, version: Number(version) };
    act(byTestId('assign-bundle'), 'PUT', `${base}/bundle`, body);
  });
  byTestId('unassign-bundle').addEventListener('click', (ev) => act(ev.currentTarget, 'DELETE', `${base}/bundle`));
  byTestId('delete-deployment').addEventListener('click', (ev) => deleteDeployment(ev.currentTarget));
  poller = poll(refresh, 2000);
}

main().catch((e) => { if (e.status !== 401) showAlert(e.message); });
