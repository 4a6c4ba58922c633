// The tools page: pick a tool, edit its JSON arguments, invoke it and show the result or the readable error
// (docs/console.md section 2.2, docs/api.md "Invoking a tool").
import { api, enc } from '/console/api.js';
import {
  byTestId, clearAlert, el, fmtDuration, mountChrome, poll, requireSession, setOptions, showAlert,
} from '/console/ui.js';

let tools = [];

function selectedTool() {
  return tools.find((t) => t.name === byTestId('tool-select').value);
}

function renderToolInfo() {
  const t = selectedTool();
  const d = (t && t.descriptor) || {};
  const desc = byTestId('tool-description');
  desc.replaceChildren(...(t ? [el('code', { className: 'tool-name', text: t.name }),
    ` ${d.description || 'No description.'}`] : []));
  const schema = document.getElementById('tool-schema');
  schema.hidden = !t;
  schema.querySelector('pre').textContent = JSON.stringify(d.inputSchema ?? {}, null, 2);
}

async function refresh() {
  const [t, d] = await Promise.all([api('GET', '/api/v1/tools'), api('GET', '/api/v1/deployments')]);
  tools = t.tools || [];
  setOptions(byTestId('tool-select'), tools.map((x) => ({
    value: x.name, label: x.connected ? x.name : `${x.name} (not connected)`,
  })));
  setOptions(byTestId('deployment-select'), [{ value: '', label: 'any' },
    ...(d.deployments || []).map((x) => ({ value: x.id, label: `${x.name} (${x.id})` }))]);
  renderToolInfo();
  document.getElementById('empty').hidden = tools.length > 0;
  byTestId('invoke-button').disabled = tools.length === 0 || invoking;
}

function contentItem(item) {
  if (item && item.type === 'text') return el('pre', { className: 'content-text', text: item.text ?? '' });
  const label = item && item.type ? item.type : 'unknown';
  const mime = item && item.mimeType ? `, ${item.mimeType}` : '';
  return el('p', { className: 'muted', text: `[${label} content${mime}]` });
}

function showResult(res) {
  const out = byTestId('invoke-result');
  const r = res.result || {};
  const isError = r.isError === true;
  out.dataset.isError = String(isError);
  out.classList.toggle('is-error', isError);
  const parts = [];
  if (isError) parts.push(el('p', { className: 'error-text', text: 'The tool reported an error:' }));
  for (const item of r.content || []) parts.push(contentItem(item));
  if (r.structuredContent !== undefined) {
    parts.push(el('h3', { text: 'Structured content' }),
      el('pre', { className: 'json structured', text: JSON.stringify(r.structuredContent, null, 2) }));
  }
  if (parts.length === 0) parts.push(el('p', { className: 'muted', text: '(empty result)' }));
  out.replaceChildren(...parts);
  out.hidden = false;
  byTestId('invoke-status').textContent =
    `${isError ? 'Tool error' : 'OK'} in ${fmtDuration(res.elapsedMs)} · call ${res.callId} · ` +
    `deployment ${res.deploymentId}`;
}

let invoking = false;

async function invoke(ev) {
  ev.preventDefault();
  const t = selectedTool();
  if (!t) return showAlert('Choose a tool first.');
  let args;
  try {
    args = JSON.parse(byTestId('tool-args').value.trim() || '{}');
  } catch (e) {
    return showAlert(`The arguments are not valid JSON: ${e.message}. Nothing was sent.`);
  }
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    return showAlert('The arguments must be a JSON object, like {"text": "hi"}. Nothing was sent.');
  }
  const body = { arguments: args };
  const dep = byTestId('deployment-select').value;
  if (dep) body.deploymentId = dep;
  const timeout = byTestId('timeout-ms').value.trim();
  if (timeout) body.timeoutMs = Number(timeout);
  const button = byTestId('invoke-button');
  const out = byTestId('invoke-result');
  invoking = true;
  button.disabled = true;
  out.hidden = true;
  out.replaceChildren();
  delete out.dataset.isError;
  out.classList.remove('is-error');
  byTestId('invoke-status').textContent = `Running ${t.name}…`;
  const started = performance.now();
  try {
    const res = await api('POST', `/api/v1/tools/${enc(t.name)}/invoke`, body);
    clearAlert();
    showResult(res);
  } catch (e) {
    showAlert(e.message);
    byTestId('invoke-status').textContent =
      `Failed after ${fmtDuration(performance.now() - started)}: ${e.code}${e.status ? ` (HTTP ${e.status})` : ''}`;
  } finally {
    invoking = false;
    button.disabled = false;
  }
}

async function main() {
  mountChrome();
  await requireSession();
  document.getElementById('content').hidden = false;
  byTestId('tool-select').addEventListener('change', renderToolInfo);
  document.getElementById('invoke-form').addEventListener('submit', invoke);
  poll(refresh, 2000);
}

main().catch((e) => { if (e.status !== 401) showAlert(e.message); });
