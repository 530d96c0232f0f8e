// Drives the SMART authorization pages over HTTP as a browser would: load the page, read its form,
// post it, follow the steps, and stop at the redirect back to the app.
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function newPkce(): Pkce {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The value of a hidden field of an HTML page. */
export function hidden(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no field ${name} in page: ${html.slice(0, 500)}`);
  return m[1]
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export async function postPage(url: string, form: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

export interface BrowserFlow {
  /** The final response: a redirect to the app (Location) or a page. */
  response: Response;
  location?: URL;
  /** Pages seen on the way. */
  pages: string[];
}

/**
 * Opens the authorization URL, signs in, searches for the patient by name when the app needs one,
 * picks the patient with that id and allows (or denies) the app.
 */
export async function authorizeInBrowser(
  serverUrl: string,
  authorizeUrl: string,
  user: { username: string; password: string; totp?: string },
  opts: { patientName?: string; patientId?: string; decision?: 'allow' | 'deny' } = {},
): Promise<BrowserFlow> {
  const pages: string[] = [];
  const first = await fetch(authorizeUrl, { redirect: 'manual' });
  if (first.status !== 200) return { response: first, location: locationOf(first), pages };
  const signInPage = await first.text();
  pages.push(signInPage);
  const endpoint = `${serverUrl}/oauth/authorize`;
  const signedIn = await postPage(endpoint, {
    step: 'sign-in',
    request: hidden(signInPage, 'request'),
    username: user.username,
    password: user.password,
    ...(user.totp ? { totp: user.totp } : {}),
  });
  let page = await signedIn.text();
  pages.push(page);
  if (signedIn.status !== 200) return { response: signedIn, pages };
  const pending = hidden(page, 'pending');
  if (opts.patientName !== undefined) {
    const searched = await postPage(endpoint, { step: 'search', pending, name: opts.patientName });
    page = await searched.text();
    pages.push(page);
  }
  const decided = await postPage(endpoint, {
    step: 'decide',
    pending,
    decision: opts.decision ?? 'allow',
    ...(opts.patientId ? { patient: opts.patientId } : {}),
  });
  if (decided.status !== 302) pages.push(await decided.text());
  return { response: decided, location: locationOf(decided), pages };
}

function locationOf(r: Response): URL | undefined {
  const l = r.headers.get('location');
  return l ? new URL(l) : undefined;
}
