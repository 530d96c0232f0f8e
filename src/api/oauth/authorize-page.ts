// The HTML of the authorization pages: sign-in, then consent (with a patient picker for launch/patient),
// and the error page. Server-rendered, no script, no external asset; the one style block is allowed by
// its hash in the page's Content-Security-Policy.
import { createHash } from 'node:crypto';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}' +
  'label{display:block;margin-top:1rem;font-weight:600}input[type=text],input[type=password],input[type=search]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}' +
  'button{margin-top:1rem;padding:.5rem 1.25rem;font-size:1rem}.error{color:#a00000;border:2px solid #a00000;padding:.5rem}' +
  'fieldset{margin-top:1rem}.inline{display:inline;font-weight:400}ul{padding-left:1.25rem}code{background:#f2f2f2;padding:0 .25rem}';

export const PAGE_STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

export const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)} - Chartroom</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

const errorBox = (error?: string) =>
  error ? `<p class="error" role="alert" id="form-error">${escapeHtml(error)}</p>` : '';

const scopeList = (scopes: string[]) =>
  `<ul>${scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}</ul>`;

export function signInPage(o: {
  appName: string;
  scopes: string[];
  request: string;
  error?: string;
}): string {
  return page(
    'Sign in',
    `<h1>Sign in to Chartroom</h1>
<p><strong>${escapeHtml(o.appName)}</strong> asks to use your Chartroom account with these permissions:</p>${scopeList(o.scopes)}
${errorBox(o.error)}
<form method="post" action="/oauth/authorize"${o.error ? ' aria-describedby="form-error"' : ''}>
<input type="hidden" name="step" value="sign-in"><input type="hidden" name="request" value="${escapeHtml(o.request)}">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<label for="totp">One-time code (if your account uses an authenticator app)</label><input type="text" id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}">
<button type="submit">Sign in</button>
</form>`,
  );
}

export interface PatientChoice {
  id: string;
  label: string;
}

export function consentPage(o: {
  appName: string;
  username: string;
  scopes: string[];
  pending: string;
  needsPatient: boolean;
  query?: string;
  patients?: PatientChoice[];
  error?: string;
}): string {
  const picker = o.needsPatient
    ? `<form method="post" action="/oauth/authorize" role="search">
<input type="hidden" name="step" value="search"><input type="hidden" name="pending" value="${escapeHtml(o.pending)}">
<label for="name">Find the patient by name</label><input type="search" id="name" name="name" value="${escapeHtml(o.query ?? '')}">
<button type="submit">Search</button></form>
${
  o.patients === undefined
    ? ''
    : o.patients.length === 0
      ? '<p role="status">No patient you may see matches that name.</p>'
      : `<fieldset><legend>Patient the app may see</legend>${o.patients
          .map(
            (p, i) =>
              `<div><input type="radio" form="decide" name="patient" id="patient-${i}" value="${escapeHtml(p.id)}"${o.patients?.length === 1 ? ' checked' : ''} required> <label for="patient-${i}" class="inline">${escapeHtml(p.label)}</label></div>`,
          )
          .join('')}</fieldset>`
}`
    : '';
  const canAllow = !o.needsPatient || (o.patients?.length ?? 0) > 0;
  return page(
    'Allow access',
    `<h1>Allow ${escapeHtml(o.appName)}?</h1>
<p>Signed in as <strong>${escapeHtml(o.username)}</strong>. The app asks for:</p>${scopeList(o.scopes)}
${errorBox(o.error)}${picker}
<form method="post" action="/oauth/authorize" id="decide">
<input type="hidden" name="step" value="decide"><input type="hidden" name="pending" value="${escapeHtml(o.pending)}">
${canAllow ? '<button type="submit" name="decision" value="allow">Allow</button> ' : ''}<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</form>`,
  );
}

export function errorPage(message: string): string {
  return page('Authorization error', `<h1>The app's request cannot be handled</h1>${errorBox(message)}`);
}
