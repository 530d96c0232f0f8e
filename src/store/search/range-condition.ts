// Search prefixes (eq, gt, ap...) over ranges: a search value covers [L, H] at its precision, a stored
// value [lo, hi]; the R4 search page says when they match.
const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

export function prefixOf(v: string): [Prefix, string] {
  const p = v.slice(0, 2) as Prefix;
  if (PREFIXES.includes(p) && /^[0-9-]/.test(v.slice(2))) return [p, v.slice(2)];
  return ['eq', v];
}

/**
 * The R4 search page's prefix semantics for a search value covering [L, H] and a target covering
 * [lo, hi] (both at their precision). `ap` widens the search range by `apWiden` beforehand.
 */
export function rangeCondition(
  prefix: Prefix,
  L: () => string,
  H: () => string,
  col: { lo: string; hi: string },
): string {
  const eq = () => `(${col.lo} >= ${L()} AND ${col.hi} <= ${H()})`;
  switch (prefix) {
    case 'eq':
      return eq();
    case 'ne':
      return `NOT ${eq()}`;
    case 'gt':
      return `${col.hi} > ${H()}`;
    case 'lt':
      return `${col.lo} < ${L()}`;
    case 'ge':
      // The range above the value overlaps the target, or the value contains it; always hi >= L, which
      // is stated too so that the (param, hi) index can serve it.
      return `(${col.hi} >= ${L()} AND (${col.hi} > ${H()} OR ${col.lo} >= ${L()}))`;
    case 'le':
      return `(${col.lo} <= ${H()} AND (${col.lo} < ${L()} OR ${col.hi} <= ${H()}))`;
    case 'sa':
      return `${col.lo} > ${H()}`;
    case 'eb':
      return `${col.hi} < ${L()}`;
    case 'ap':
      return `(${col.lo} <= ${H()} AND ${col.hi} >= ${L()})`;
  }
}

/** `ap` (approximately): 10% of the value, or for dates 10% of the distance from now. */
export function widen(
  prefix: Prefix,
  r: { lo: string; hi: string },
  kind: 'date' | 'number',
): [string, string] {
  if (prefix !== 'ap') return [r.lo, r.hi];
  if (kind === 'number') {
    const lo = Number(r.lo);
    const hi = Number(r.hi);
    const mid = (lo + hi) / 2;
    const d = Math.abs(mid) * 0.1;
    return [String(Math.min(lo, mid - d)), String(Math.max(hi, mid + d))];
  }
  const lo = Date.parse(r.lo);
  const hi = Date.parse(r.hi);
  const now = Date.now();
  return [
    new Date(lo - Math.abs(now - lo) * 0.1).toISOString(),
    new Date(hi + Math.abs(now - hi) * 0.1).toISOString(),
  ];
}
