// Shared page chrome (header, alert, signed-out notice, dialogs), formatting helpers and polling for the
// admin console (docs/console.md section 2.2). Everything is built with textContent so API data never
// becomes markup.
import { api, getSession } from '/console/api.js';

// el('tr', {testid: 'x', className: 'y', dataset: {a: 'b'}}, child, 'text', ...)
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'testid') node.dataset.testid = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'text') node.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

let org = null;           // the signed-in org, once known (for the signed-out notice)
let signedOut = false;
const pollers = [];

// Builds the header, alert, signed-out notice and dialogs around the page's <main id="content">.
export function mountChrome({ session = true } = {}) {
  const nav = el('nav', { className: 'nav', 'aria-label': 'Console' },
    el('a', { testid: 'nav-deployments', href: '/console/', text: 'Deployments' }),
    el('a', { testid: 'nav-bundles', href: '/console/bundles.html', text: 'Bundles' }),
    el('a', { testid: 'nav-tools', href: '/console/tools.html', text: 'Tools' }));
  for (const a of nav.querySelectorAll('a')) {
    const here = location.pathname;
    const target = a.getAttribute('href');
    if (here === target || (target === '/console/' && here.startsWith('/console/deployment'))) {
      a.setAttribute('aria-current', 'page');
    }
  }
  const who = el('span', { className: 'who' },
    el('span', { testid: 'session-org', className: 'org' }),
    el('button', { testid: 'signout', type: 'button', className: 'link', text: 'Sign out', on: { click: signOut } }));
  who.hidden = !session;
  const header = el('header', { className: 'top' },
    el('a', { className: 'brand', href: '/console/', text: 'edge-platform' }), nav, who);
  const alert = el('div', { testid: 'alert', role: 'alert', className: 'alert' });
  alert.hidden = true;
  const notice = el('section', { testid: 'signed-out', className: 'signed-out' },
    el('h1', { text: 'Signed out' }),
    el('p', { text: 'Your console session has ended or was never started. ' +
      'Get a new one-time sign-in link on the platform host:' }),
    el('pre', { className: 'cmd', id: 'signed-out-cmd' }));
  notice.hidden = true;
  const main = document.getElementById('content');
  document.body.prepend(header);
  main.before(alert, notice);
  document.body.append(confirmDialog(), secretDialog());
}

export async function requireSession() {
  const s = await getSession();
  org = s.orgId;
  byTestId('session-org').textContent = s.orgId;
  return s;
}

// Shown instead of the page's content after any 401.
export function showSignedOut() {
  signedOut = true;
  for (const p of pollers) p.stop();
  const main = document.getElementById('content');
  if (main) main.hidden = true;
  const who = document.querySelector('header .who');
  if (who) who.hidden = true;
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  clearAlert();
  const cmd = document.getElementById('signed-out-cmd');
  if (cmd) cmd.textContent = `edge-platform admin console-link --org ${org || '<org>'}`;
  const notice = byTestId('signed-out');
  if (notice) notice.hidden = false;
}

async function signOut() {
  try {
    await api('DELETE', '/console/api/session');
  } catch (e) {
    if (e.status !== 401) return showAlert(e.message);
  }
  showSignedOut();
}

// The alert region. `source` lets polling clear only the errors it showed itself.
let alertSource = null;
export function showAlert(message, source = 'action') {
  const a = byTestId('alert');
  if (!a || signedOut) return;
  a.textContent = message;
  a.hidden = false;
  alertSource = source;
}
export function clearAlert(source) {
  const a = byTestId('alert');
  if (!a || (source && alertSource !== source)) return;
  a.textContent = '';
  a.hidden = true;
  alertSource = null;
}

// Runs `fn` now and every `ms` after each run ends; errors go to the alert and polling continues.
export function poll(fn, ms = 2000) {
  let timer = null, running = false, again = false, stopped = false;
  const run = async () => {
    if (stopped) return;
    if (running) { again = true; return; }
    clearTimeout(timer);
    running = true;
    try {
      await fn();
      clearAlert('poll');
    } catch (e) {
      if (e.status !== 401) showAlert(e.message, 'poll');
    } finally {
      running = false;
      if (!stopped) timer = setTimeout(run, again ? 0 : ms);
      again = false;
    }
  };
  const p = { refresh: run, stop() { stopped = true; clearTimeout(timer); } };
  pollers.push(p);
  run();
  return p;
}

// Confirm dialog for destructive actions: resolves true on OK, false on cancel or Escape.
function confirmDialog() {
  return el('dialog', { testid: 'confirm-dialog', className: 'dialog' },
    el('form', { method: 'dialog' },
      el('p', { testid: 'confirm-message', className: 'message' }),
      el('div', { className: 'buttons' },
        el('button', { testid: 'confirm-cancel', value: 'cancel', type: 'submit', text: 'Cancel' }),
        el('button', { testid: 'confirm-ok', value: 'ok', type: 'submit', className: 'danger', text: 'OK' }))));
}

export function confirm(message, okLabel = 'OK') {
  const d = byTestId('confirm-dialog');
  byTestId('confirm-message', d).textContent = message;
  byTestId('confirm-ok', d).textContent = okLabel;
  d.returnValue = '';
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.showModal();
    byTestId('confirm-cancel', d).focus();
  });
}

// Shows a deployment secret once; closing the dialog removes it from the page.
function secretDialog() {
  const d = el('dialog', { testid: 'secret-dialog', className: 'dialog' },
    el('h2', { id: 'secret-title', text: 'Deployment secret' }),
    el('p', {}, 'Deployment ', el('code', { testid: 'secret-deployment-id' })),
    el('pre', { testid: 'secret-value', className: 'secret' }),
    el('p', { className: 'warn', text: 'This secret is shown only once. Copy it now into the connector\'s ' +
      'configuration (DEPLOYMENT_SECRET); it cannot be shown again.' }),
    el('div', { className: 'buttons' },
      el('button', { testid: 'secret-close', type: 'button', text: 'I have copied it, close',
        on: { click: () => { forget(); d.close(); } } })));
  // Cleared at once on the button (the close event comes a task later) and on Escape via the close event.
  const forget = () => {
    byTestId('secret-value', d).textContent = '';
    byTestId('secret-deployment-id', d).textContent = '';
  };
  d.addEventListener('close', forget);
  return d;
}

export function showSecret(title, deploymentId, secret) {
  const d = byTestId('secret-dialog');
  d.querySelector('#secret-title').textContent = title;
  byTestId('secret-deployment-id', d).textContent = deploymentId;
  byTestId('secret-value', d).textContent = secret;
  d.showModal();
}

// Keeps a <select>'s options in sync with [{value, label}] without losing the user's choice.
export function setOptions(select, options) {
  const sig = JSON.stringify(options);
  if (select.dataset.sig === sig) return;
  const current = select.value;
  select.replaceChildren(...options.map((o) => el('option', { value: o.value, text: o.label })));
  if (options.some((o) => o.value === current)) select.value = current;
  select.dataset.sig = sig;
}

// ---- formatting ----
const pad = (n) => String(n).padStart(2, '0');

export function fmtDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '';
  ms = Math.max(0, ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function fmtTime(ms) {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (Math.abs(Date.now() - ms) < 20 * 3600 * 1000) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

// "12:01:02 (3 s ago)", or "never" without a time.
export function fmtTimeAge(ms) {
  if (!ms) return 'never';
  const age = Date.now() - ms;
  return `${fmtTime(ms)} (${age < 1000 ? 'just now' : `${fmtDuration(age).replace(/ \d+ (s|min)$/, '')} ago`})`;
}

export function fmtSize(bytes) {
  if (bytes === null || bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

// A short checksum element with the full value in its title.
export function checksumEl(value, props = {}) {
  const v = value || '';
  const m = /^([a-z0-9]+:)?([0-9a-f]+)$/i.exec(v);
  const short = m && m[2].length > 12 ? `${m[1] || ''}${m[2].slice(0, 12)}…` : v;
  return el('code', { ...props, title: v, text: short });
}

// Badge class for a state: green when serving, red when stuck/failed, amber while changing.
export function stateClass(state, { stuck = false, failed = false } = {}) {
  if (stuck || failed) return 'badge bad';
  const s = String(state || '').toLowerCase();
  if (['running', 'online', 'connected', 'serving', 'approved'].includes(s)) return 'badge ok';
  if (['provisioning', 'starting', 'stopping', 'draining', 'pending', 'hello'].includes(s)) return 'badge busy';
  if (['denied', 'expired'].includes(s)) return 'badge bad';
  return 'badge idle';
}
