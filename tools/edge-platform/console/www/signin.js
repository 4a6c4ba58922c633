// The sign-in page (/console/signin?token=...). The GET alone never uses the token (link scanners also
// fetch links); the button does, with POST /console/api/session (docs/console.md section 1).
import { request } from '/console/api.js';
import { byTestId, clearAlert, mountChrome, showAlert } from '/console/ui.js';

// Read the token once, then drop it from the address bar (history, screenshots, shoulder surfing).
const token = new URLSearchParams(location.search).get('token') || '';
if (location.search) history.replaceState(null, '', location.pathname);

mountChrome({ session: false });
const button = byTestId('signin-button');
if (!token) {
  button.disabled = true;
  showAlert('This page needs a sign-in link with a token. On the platform host run: ' +
    'edge-platform admin console-link --org <org>');
}

button.addEventListener('click', async () => {
  button.disabled = true;
  try {
    await request('POST', '/console/api/session', { token }, { csrf: false, signedOut: false });
    clearAlert();
    location.assign('/console/');
  } catch (e) {
    showAlert(e.message);
    button.disabled = false;
  }
});
