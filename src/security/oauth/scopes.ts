// SMART on FHIR scopes, v2 (`patient/Observation.rs`, `user/*.cruds`, `system/*.rs`) and v1
// (`patient/*.read`, `user/*.write`, `system/*.*`): parsing, and what a set of scopes allows for one
// resource type and interaction. Granular v2 scopes with a query (`?category=...`) are not supported
// yet and grant nothing (fail closed).

export type Context = 'patient' | 'user' | 'system';
/** SMART v2 letters: create, read, update, delete, search. */
export type Letter = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  context: Context;
  /** A resource type or '*'. */
  type: string;
  letters: Set<Letter>;
}

const V1: Record<string, Letter[]> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};

/** One resource scope, or undefined for other scopes (launch, openid, offline_access...) and bad ones. */
export function parseResourceScope(scope: string): ResourceScope | undefined {
  const m = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(\*|read|write|c?r?u?d?s?)$/.exec(scope);
  if (!m || m[3] === '') return undefined;
  const letters = V1[m[3]] ?? (m[3].split('') as Letter[]);
  return { context: m[1] as Context, type: m[2], letters: new Set(letters) };
}

export const splitScopes = (scope: string): string[] => scope.split(/\s+/).filter(Boolean);

/**
 * What the scopes allow for one interaction on one type: 'all' (a user/ or system/ scope covers it),
 * 'patient' (only a patient/ scope does: confined to the launched patient's compartment), or 'none'.
 */
export function scopeAccess(scope: string, type: string, letter: Letter): 'all' | 'patient' | 'none' {
  let best: 'all' | 'patient' | 'none' = 'none';
  for (const s of splitScopes(scope)) {
    const r = parseResourceScope(s);
    if (!r || (r.type !== '*' && r.type !== type) || !r.letters.has(letter)) continue;
    if (r.context !== 'patient') return 'all';
    best = 'patient';
  }
  return best;
}

/** True when some user/ or system/ scope names the type at all (then patient/ scopes do not confine it). */
export function hasUnconfinedScope(scope: string, type: string): boolean {
  return splitScopes(scope).some((s) => {
    const r = parseResourceScope(s);
    return r !== undefined && r.context !== 'patient' && (r.type === '*' || r.type === type);
  });
}

export const hasPatientScopes = (scope: string): boolean =>
  splitScopes(scope).some((s) => parseResourceScope(s)?.context === 'patient');

/**
 * The scopes granted for a request: those asked for that the client may have. A resource scope is
 * granted when an allowed scope of the same context covers its type and letters; other scopes
 * (launch/patient, offline_access, openid...) only when allowed by name.
 */
export function grantScopes(requested: string, allowed: string): string[] {
  const allowedList = splitScopes(allowed);
  const allowedResource = allowedList.map(parseResourceScope).filter((x): x is ResourceScope => !!x);
  return splitScopes(requested).filter((s) => {
    const r = parseResourceScope(s);
    if (!r) return allowedList.includes(s);
    return allowedResource.some(
      (a) =>
        a.context === r.context &&
        (a.type === '*' || a.type === r.type) &&
        [...r.letters].every((l) => a.letters.has(l)),
    );
  });
}

/** The SMART letter of a FHIR interaction as the routes name it. */
export function letterOf(method: string, routeUrl: string): Letter {
  if (method === 'GET' || method === 'HEAD') {
    // a read names one resource; search and type history walk many
    return /:id/.test(routeUrl) ? 'r' : 's';
  }
  if (routeUrl.endsWith('/_search')) return 's';
  if (method === 'POST') return 'c';
  if (method === 'DELETE') return 'd';
  return 'u';
}
