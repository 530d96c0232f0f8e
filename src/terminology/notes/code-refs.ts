// Reads the code references inside an instructional note ("(E10.-)", "(N18.1-N18.6)", "(I10-I15)") and tests codes against them.
export interface CodeRef {
  /** First code or prefix of the range, canonical with dot, without "-". */
  from: string;
  /** Last code of a range; equal to `from` for a single code or prefix. */
  to: string;
}

const REF_RE =
  /\b([A-Z](?:\d[0-9A-Z]|[A-Z]\d)(?:\.[0-9A-Z]{1,4})?)(?:\.?-(?!\s*[A-Z](?:\d|[A-Z]\d)))?(?:\s*-\s*([A-Z](?:\d[0-9A-Z]|[A-Z]\d)(?:\.[0-9A-Z]{1,4})?)(?:\.?-)?)?/g;

export function codeRefsOf(text: string): CodeRef[] {
  const out: CodeRef[] = [];
  for (const m of text.matchAll(REF_RE)) out.push({ from: m[1], to: m[2] ?? m[1] });
  return out;
}

/** True when `code` is the referenced code, lies under the referenced prefix, or falls inside the range. */
export function refCovers(ref: CodeRef, code: string): boolean {
  if (ref.from === ref.to) return code.startsWith(ref.from);
  const n = Math.max(ref.from.length, ref.to.length);
  const c = code.slice(0, n);
  return (c >= ref.from.slice(0, n) && c <= ref.to) || code.startsWith(ref.to) || code.startsWith(ref.from);
}

export function anyRefCovers(refs: CodeRef[], code: string): boolean {
  return refs.some((r) => refCovers(r, code));
}
