// The device sign-in page (/console/device.html?code=...): approve or deny an `edge-connector auth --browser`
// request for the session's org (docs/console.md section 3).
import { api, enc } from '/console/api.js';
import {
  byTestId, clearAlert, fmtDuration, fmtTimeAge, mountChrome, requireSession, showAlert, stateClass,
} from '/console/ui.js';

const code = (new URLSearchParams(location.search).get('code') || '').trim().toUpperCase();
const LABELS = { pending: 'Pending', approved: 'Approved', denied: 'Denied', expired: 'Expired', issued: 'Approved' };

function setStatus(status) {
  const s = byTestId('device-status');
  s.textContent = LABELS[status] || status;
  s.className = stateClass(status === 'issued' ? 'approved' : status);
  // Only a pending request can be decided; afterwards the buttons are gone.
  if (status !== 'pending') document.getElementById('device-buttons')?.remove();
}

function render(r) {
  byTestId('device-code').textContent = r.userCode;
  byTestId('device-org').textContent = r.orgId;
  byTestId('device-client').textContent = r.clientName;
  document.getElementById('device-deployment').textContent = r.deploymentId || 'any (org-wide connector token)';
  document.getElementById('device-expires').textContent = r.expiresAtMs
    ? (r.expiresAtMs > Date.now() ? `in ${fmtDuration(r.expiresAtMs - Date.now())}` : fmtTimeAge(r.expiresAtMs))
    : '';
  setStatus(r.status);
}

async function load() {
  render(await api('GET', `/console/api/device/${enc(code)}`));
}

async function decide(decision) {
  const buttons = document.querySelectorAll('#device-buttons button');
  for (const b of buttons) b.disabled = true;
  try {
    const res = await api('POST', `/console/api/device/${enc(code)}/${decision}`);
    clearAlert();
    setStatus(res.status || (decision === 'approve' ? 'approved' : 'denied'));
  } catch (e) {
    showAlert(e.message);
    for (const b of buttons) b.disabled = false;
    // A request decided elsewhere or expired: show its real state (which removes the buttons).
    if (e.status === 409) await load().catch(() => {});
  }
}

async function main() {
  mountChrome();
  await requireSession();
  document.getElementById('content').hidden = false;
  byTestId('device-code').textContent = code;
  if (!code) {
    document.getElementById('device-buttons').remove();
    return showAlert('No sign-in code in the address. Open the link that edge-connector auth --browser printed ' +
      '(it ends with ?code=XXXX-XXXX).');
  }
  byTestId('device-approve').addEventListener('click', () => decide('approve'));
  byTestId('device-deny').addEventListener('click', () => decide('deny'));
  try {
    await load();
  } catch (e) {
    if (e.status === 401) return;
    document.getElementById('device-buttons')?.remove();
    byTestId('device-status').textContent = e.status === 404 ? 'Unknown code' : 'Unavailable';
    byTestId('device-status').className = 'badge bad';
    showAlert(e.message);
  }
}

main().catch((e) => { if (e.status !== 401) showAlert(e.message); });
