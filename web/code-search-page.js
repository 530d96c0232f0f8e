// The glue of /ui/code-search: sign in with a cookie session (POST /auth/session) when needed, then show
// the code-search panel. A separate module because the page's CSP allows no inline script.
import './code-search.js';

const $ = (id) => document.getElementById(id);

const PAGE_CSS = `
body { font: 1rem/1.4 system-ui, sans-serif; color: #000; background: #fff; margin: 1rem auto; padding: 0 1rem; max-width: 60rem; }
input, button { font: inherit; color: #000; background: #fff; border: 2px solid #000; border-radius: 0.25rem; padding: 0.35rem 0.5rem; max-width: 100%; }
button { cursor: pointer; font-weight: 600; }
:focus-visible, input:focus, button:focus { outline: 3px solid #0033cc; outline-offset: 2px; }
#sign-in-error { color: #8b0000; font-weight: 600; }
`;

function applyStyle() {
  if (typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(PAGE_CSS);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  }
}

let csrfToken = '';

function showPanel(username) {
  $('sign-in').hidden = true;
  $('who-name').textContent = `Signed in as ${username}.`;
  $('who').hidden = false;
  $('panel').hidden = false;
  document.querySelector('chartroom-code-search')?.shadowRoot?.querySelector('[role=combobox]')?.focus();
}

function showSignIn(message = '') {
  $('panel').hidden = true;
  $('who').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  $('username').focus();
}

async function signIn(event) {
  event.preventDefault();
  const form = new FormData($('sign-in'));
  const body = new URLSearchParams();
  for (const [k, v] of form) if (typeof v === 'string' && v !== '') body.set(k, v);
  $('sign-in-error').textContent = '';
  try {
    const res = await fetch('/auth/session', { method: 'POST', credentials: 'same-origin', body });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const why = json?.issue?.map((i) => i.diagnostics).join(' ') || `HTTP ${res.status}`;
      $('sign-in-error').textContent = `Sign-in failed: ${why}`;
      return;
    }
    csrfToken = json.csrf_token;
    $('password').value = '';
    $('totp').value = '';
    showPanel(json.username);
  } catch {
    $('sign-in-error').textContent = 'Could not reach the server. Try again.';
  }
}

async function signOut() {
  await fetch('/auth/session', {
    method: 'DELETE',
    credentials: 'same-origin',
    headers: { 'x-csrf-token': csrfToken },
  }).catch(() => undefined);
  csrfToken = '';
  showSignIn('You are signed out.');
}

async function start() {
  applyStyle();
  $('sign-in').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  try {
    const res = await fetch('/auth/session', { credentials: 'same-origin' });
    if (res.ok) {
      const json = await res.json();
      if (json.username) {
        csrfToken = json.csrf_token ?? '';
        showPanel(json.username);
        return;
      }
    }
  } catch {
    // not reachable: the sign-in form says so when used
  }
  showSignIn();
}

start();
