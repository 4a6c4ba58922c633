// The deployments page (/console/): live list, create, rotate secret (docs/console.md section 2.2).
import { api, enc } from '/console/api.js';
import {
  byTestId, clearAlert, confirm, el, fmtTimeAge, mountChrome, poll, requireSession, showAlert,
  showSecret, stateClass,
} from '/console/ui.js';

const LABELS = ['Name', 'Status', 'Last seen', 'Connectors', 'Bundle', ''];
let poller = null;

// One row per deployment, kept across refreshes so focus and clicks are not lost.
function makeRow(dep) {
  const cells = ['dep-name', 'dep-status', 'dep-last-seen', 'dep-connectors', 'dep-bundle'].map((id, i) =>
    el('td', { testid: id === 'dep-name' ? null : id, dataset: { label: LABELS[i] } }));
  cells[0].className = 'primary';
  cells[0].append(el('a', { testid: 'dep-name', href: `/console/deployments/${enc(dep.id)}` }),
    el('div', { className: 'sub' }, el('code', { text: dep.id }), ' ', el('span', { className: 'cloud-badge' })));
  const rotate = el('button', { testid: 'rotate-secret', type: 'button', text: 'Rotate secret' });
  rotate.addEventListener('click', () => rotateSecret(rotate.closest('tr').dataset.deploymentId, rotate));
  const tr = el('tr', { dataset: { deploymentId: dep.id } }, ...cells,
    el('td', { className: 'actions', dataset: { label: '' } }, rotate));
  return tr;
}

function fillRow(tr, dep, target) {
  tr.querySelector('[data-testid="dep-name"]').textContent = dep.name;
  // The API's status is the self-hosted link's; a Running cloud connector also makes the deployment online.
  const status = dep.activeConnectorCount > 0 ? 'online' : dep.status;
  byTestId('dep-status', tr).replaceChildren(el('span', { className: stateClass(status), text: status }));
  const cloud = tr.querySelector('.cloud-badge');
  const cc = dep.cloudConnector;
  cloud.hidden = !cc;
  if (cc) {
    cloud.className = `cloud-badge ${stateClass(cc.state, { stuck: cc.stuck })} small`;
    cloud.title = `cloud connector ${cc.id}`;
    cloud.textContent = `cloud: ${cc.state}${cc.stuck ? ' (stuck)' : ''}`;
  }
  byTestId('dep-last-seen', tr).textContent = fmtTimeAge(dep.lastSeenMs);
  byTestId('dep-connectors', tr).textContent = String(dep.activeConnectorCount ?? dep.activeConnectors ?? 0);
  const bundle = byTestId('dep-bundle', tr);
  if (target && target.bundleId) {
    bundle.textContent = `${target.bundleName} v${target.version}`;
    bundle.title = `${target.source === 'default' ? 'org default' : 'own assignment'}` +
      `${target.pinned ? ', pinned' : ', following the latest'}; ${target.checksum}`;
  } else {
    bundle.textContent = 'none';
    bundle.title = 'no assignment and no org default';
  }
}

async function targetOf(id) {
  try {
    return await api('GET', `/api/v1/deployments/${enc(id)}/bundle`);
  } catch (e) {
    if (e.code === 'no_bundle_assigned') return null;
    throw e;
  }
}

async function refresh() {
  const [{ deployments }, { bundles }] = await Promise.all([api('GET', '/api/v1/deployments'),
    api('GET', '/api/v1/bundles')]);
  // Without any bundle no deployment has a target: skip the per-row requests (and their 404s).
  const targets = bundles.length === 0 ? deployments.map(() => null)
    : await Promise.all(deployments.map((d) => targetOf(d.id)));
  const tbody = byTestId('deployments-table').tBodies[0];
  const existing = new Map([...tbody.rows].map((r) => [r.dataset.deploymentId, r]));
  deployments.forEach((dep, i) => {
    let tr = existing.get(dep.id);
    existing.delete(dep.id);
    if (!tr) tr = makeRow(dep);
    fillRow(tr, dep, targets[i]);
    if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] || null);
  });
  for (const tr of existing.values()) tr.remove();
  document.getElementById('empty').hidden = deployments.length > 0;
}

async function create(ev) {
  ev.preventDefault();
  const input = byTestId('create-name');
  const button = byTestId('create-deployment');
  const name = input.value.trim();
  if (!name) return showAlert('Enter a name for the new deployment.');
  button.disabled = true;
  try {
    const dep = await api('POST', '/api/v1/deployments', { name });
    clearAlert();
    input.value = '';
    showSecret(`Deployment "${dep.name}" created`, dep.id, dep.secret);
    poller.refresh();
  } catch (e) {
    showAlert(e.message);
  } finally {
    button.disabled = false;
  }
}

async function rotateSecret(id, button) {
  const tr = button.closest('tr');
  const name = tr.querySelector('[data-testid="dep-name"]').textContent;
  const ok = await confirm(`Rotate the secret of ${name} (${id})? The old secret stops working at once, and a ` +
    'connector connected with it is disconnected until it is configured with the new one.', 'Rotate secret');
  if (!ok) return;
  button.disabled = true;
  try {
    const res = await api('POST', `/api/v1/deployments/${enc(id)}/rotate-secret`);
    clearAlert();
    showSecret(`New secret for "${name}"`, res.id, res.secret);
    poller.refresh();
  } catch (e) {
    showAlert(e.message);
  } finally {
    button.disabled = false;
  }
}

async function main() {
  mountChrome();
  await requireSession();
  document.getElementById('content').hidden = false;
  document.getElementById('create-form').addEventListener('submit', create);
  poller = poll(refresh, 2000);
}

main().catch((e) => { if (e.status !== 401) showAlert(e.message); });
