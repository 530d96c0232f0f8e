// A ValueSet given by its definition (compose.include / exclude of the systems served, with concept lists and
// filters on the hierarchy): which codes it holds, expanded and paged, and whether one code is in it.
import type { CodeEntry, CodeSystemVersion } from '../code-system.js';
import { canonicalCode, SYSTEM_URIS, type SystemKey } from '../systems.js';

export type ComposeFilterOp = 'is-a' | 'descendent-of' | 'is-not-a' | '=' | 'in';

/** `concept` filters on the hierarchy (is-a, descendent-of, is-not-a, =, in); `notSelectable` = true|false picks headers or billable codes. */
export interface ComposeFilter {
  property: 'concept' | 'notSelectable';
  op: ComposeFilterOp;
  value: string;
}

export interface ComposeInclude {
  system: SystemKey;
  version?: string;
  /** Listed codes (canonical or not); undefined means "every code that passes the filters". */
  concepts?: string[];
  filters: ComposeFilter[];
}

export interface ValueSetDefinition {
  url?: string;
  include: ComposeInclude[];
  exclude: ComposeInclude[];
}

export interface ValueSetExpansion {
  total: number;
  offset: number;
  /** The version of each system used. */
  versions: { system: SystemKey; systemUri: string; version: string }[];
  contains: { system: string; code: string; display: string; billable: boolean }[];
}

export interface ValueSetValidation {
  result: boolean;
  message?: string;
  code: string;
  system: SystemKey;
  systemUri: string;
  version?: string;
  display?: string;
}

/** Picks the version an include uses (its own version, else the one in effect on the date, else the newest). */
export type VersionPicker = (
  system: SystemKey,
  opts: { version?: string; date?: string },
) => CodeSystemVersion;

const isUnder = (code: string, parent: string) => code !== parent && code.startsWith(parent);

function passes(e: CodeEntry, f: ComposeFilter, system: SystemKey): boolean {
  if (f.property === 'notSelectable') return !e.billable === (f.value === 'true');
  const target = canonicalCode(system, f.value);
  switch (f.op) {
    case 'is-a':
      return e.code === target || isUnder(e.code, target);
    case 'descendent-of':
      return isUnder(e.code, target);
    case 'is-not-a':
      return !(e.code === target || isUnder(e.code, target));
    case '=':
      return e.code === target;
    case 'in':
      return f.value.split(',').some((c) => canonicalCode(system, c) === e.code);
  }
}

function listed(inc: ComposeInclude): Set<string> | undefined {
  return inc.concepts ? new Set(inc.concepts.map((c) => canonicalCode(inc.system, c))) : undefined;
}

/** Is `e` (a code of `inc.system`) selected by this include? */
function selects(inc: ComposeInclude, e: CodeEntry, concepts: Set<string> | undefined): boolean {
  if (concepts && !concepts.has(e.code)) return false;
  return inc.filters.every((f) => passes(e, f, inc.system));
}

/** The codes of one include, in code order. */
function membersOf(inc: ComposeInclude, v: CodeSystemVersion): CodeEntry[] {
  const concepts = listed(inc);
  let base: CodeEntry[];
  if (concepts)
    base = [...concepts].map((c) => v.getCanonical(c)).filter((e): e is CodeEntry => e !== undefined);
  else {
    const narrowing = inc.filters.find(
      (f) => f.property === 'concept' && (f.op === 'is-a' || f.op === 'descendent-of' || f.op === '='),
    );
    base = narrowing ? v.withPrefix(canonicalCode(inc.system, narrowing.value)) : v.withPrefix('');
  }
  return base.filter((e) => selects(inc, e, concepts));
}

/** Every word of the text filter begins a word of the display ("diab kid" finds "...diabetic chronic kidney..."). */
function textMatcher(filter: string | undefined): (display: string) => boolean {
  const wanted = (filter ?? '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (wanted.length === 0) return () => true;
  return (display) => {
    const words = display.toLowerCase().split(/[^a-z0-9]+/);
    return wanted.every((w) => words.some((d) => d.startsWith(w)));
  };
}

export function expandDefinition(
  def: ValueSetDefinition,
  pick: VersionPicker,
  opts: { filter?: string; date?: string; offset?: number; count?: number } = {},
): ValueSetExpansion {
  const offset = Math.max(0, opts.offset ?? 0);
  const count = Math.max(0, Math.min(opts.count ?? 100, 1000));
  const versions = new Map<SystemKey, CodeSystemVersion>();
  const versionOf = (inc: ComposeInclude) => {
    const v = pick(inc.system, { version: inc.version, date: opts.date });
    if (!versions.has(inc.system)) versions.set(inc.system, v);
    return v;
  };
  const excluded = new Set<string>();
  for (const ex of def.exclude)
    for (const e of membersOf(ex, versionOf(ex))) excluded.add(`${ex.system}|${e.code}`);
  const text = textMatcher(opts.filter);
  const seen = new Set<string>();
  const all: { system: string; code: string; display: string; billable: boolean }[] = [];
  for (const inc of def.include) {
    for (const e of membersOf(inc, versionOf(inc))) {
      const key = `${inc.system}|${e.code}`;
      if (excluded.has(key) || seen.has(key)) continue;
      const display = e.display;
      if (!text(display)) continue;
      seen.add(key);
      all.push({ system: SYSTEM_URIS[inc.system], code: e.code, display, billable: e.billable });
    }
  }
  return {
    total: all.length,
    offset,
    versions: [...versions].map(([system, v]) => ({
      system,
      systemUri: SYSTEM_URIS[system],
      version: v.version,
    })),
    contains: all.slice(offset, offset + count),
  };
}

export function validateInDefinition(
  def: ValueSetDefinition,
  pick: VersionPicker,
  req: { system: SystemKey; code: string; date?: string },
): ValueSetValidation {
  const code = canonicalCode(req.system, req.code);
  const base = { code, system: req.system, systemUri: SYSTEM_URIS[req.system] };
  const includes = def.include.filter((i) => i.system === req.system);
  if (includes.length === 0)
    return {
      ...base,
      result: false,
      message: `The value set includes no codes of ${SYSTEM_URIS[req.system]}.`,
    };
  for (const inc of includes) {
    const v = pick(inc.system, { version: inc.version, date: req.date });
    const e = v.getCanonical(code);
    if (!e) continue;
    if (!selects(inc, e, listed(inc))) continue;
    const excludedBy = def.exclude.some((ex) => {
      if (ex.system !== req.system) return false;
      return selects(ex, e, listed(ex));
    });
    if (excludedBy) continue;
    return { ...base, result: true, version: v.version, display: e.display };
  }
  const v = pick(req.system, { version: includes[0].version, date: req.date });
  const e = v.getCanonical(code);
  return {
    ...base,
    version: v.version,
    result: false,
    ...(e ? { display: e.display } : {}),
    message: e
      ? `${code} (${e.display}) is a code of ${SYSTEM_URIS[req.system]} version ${v.version} but not in the value set.`
      : `${code} is not a code of ${SYSTEM_URIS[req.system]} version ${v.version}.`,
  };
}
