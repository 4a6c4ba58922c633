// The console's one way to call the platform: JSON over fetch with the session cookie, the CSRF header on
// every state-changing request (docs/console.md section 1), and errors turned into readable messages.
import { showSignedOut } from '/console/ui.js';

let sessionPromise = null;  // GET /console/api/session, once per page load
let csrfToken = null;

export class ApiError extends Error {
  constructor(message, status, code, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// Low-level call. opts.csrf (default true for non-GET) adds X-CSRF-Token; opts.signedOut (default true)
// shows the signed-out notice on 401.
export async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  const safe = method === 'GET' || method === 'HEAD';
  if (!safe && opts.csrf !== false) {
    if (!csrfToken) await getSession();
    headers['X-CSRF-Token'] = csrfToken;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(`Cannot reach the platform (${e.message}). Is edge-platform running?`, 0, 'network_error');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.ok) return data;
  const err = data && typeof data.error === 'object' && data.error ? data.error : null;
  let message = err && err.message ? String(err.message)
    : `The platform answered HTTP ${res.status} ${res.statusText}`.trim();
  const field = err && err.details && err.details.field;
  if (field) message += ` (field ${field})`;
  if (res.status === 401 && opts.signedOut !== false) {
    sessionPromise = null;
    csrfToken = null;
    showSignedOut();
  }
  throw new ApiError(message, res.status, err ? err.code : `http_${res.status}`, err ? err.details : undefined);
}

export function getSession() {
  if (!sessionPromise) {
    sessionPromise = request('GET', '/console/api/session').then((s) => {
      csrfToken = s.csrfToken;
      return s;
    });
    sessionPromise.catch(() => { sessionPromise = null; });
  }
  return sessionPromise;
}

export function api(method, path, body) {
  return request(method, path, body);
}

export const enc = encodeURIComponent;
