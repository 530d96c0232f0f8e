// Converts typed FHIR values into the normalized forms the index tables hold: token pairs, normalized
// strings, date ranges, numeric ranges, references and URIs.
import { keptLexeme } from '../json.js';
import { type CanonicalRange, canonicalRange, UCUM_SYSTEM } from '../ucum/canonical.js';
import type { TypedValue } from './compile-path.js';

export interface TokenValue {
  system: string | null;
  /** Null for a row that carries only text (a CodeableConcept's own text). */
  code: string | null;
  /** Normalized display or text, for `:text`. */
  text?: string | null;
  /** An identifier's type as `system|code`, for `:of-type`. */
  ofType?: string | null;
}
export interface StringValue {
  value: string;
  raw: string;
}
export interface RangeValue {
  lo: string;
  hi: string;
}
export interface QuantityValue {
  system: string | null;
  code: string | null;
  lo: string;
  hi: string;
  /** The range in canonical units, for a UCUM code that converts (fhir/ucum/canonical.ts). */
  ucum?: CanonicalRange;
}
export interface ReferenceValue {
  targetType: string | null;
  targetId: string;
}

const MAX_INDEXED = 512;

/** Case- and accent-insensitive form used by string search. */
export function normalizeString(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase()
    .slice(0, MAX_INDEXED);
}

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export function toTokens(tv: TypedValue, out: TokenValue[]): void {
  const v = tv.value;
  switch (tv.type) {
    case 'CodeableConcept': {
      const texts = new Set<string>();
      for (const c of ((v as Obj).coding as Obj[] | undefined) ?? []) {
        pushCoding(c, out);
        const d = str(c.display);
        if (d) texts.add(normalizeString(d));
      }
      const text = str((v as Obj).text);
      if (text && !texts.has(normalizeString(text)))
        out.push({ system: null, code: null, text: normalizeString(text) });
      return;
    }
    case 'Coding':
      pushCoding(v as Obj, out);
      return;
    case 'Identifier': {
      const o = v as Obj;
      const value = str(o.value);
      if (!value) return;
      const type = o.type as Obj | undefined;
      const text = str(type?.text) ? normalizeString(type?.text as string) : null;
      const types = ((type?.coding as Obj[] | undefined) ?? []).filter((c) => str(c.code));
      if (types.length === 0) out.push({ system: str(o.system) ?? null, code: value, text });
      for (const t of types)
        out.push({
          system: str(o.system) ?? null,
          code: value,
          text,
          ofType: `${str(t.system) ?? ''}|${t.code}`,
        });
      return;
    }
    case 'ContactPoint': {
      const value = str((v as Obj).value);
      if (value) out.push({ system: str((v as Obj).system) ?? null, code: value });
      return;
    }
    case 'boolean':
      out.push({ system: null, code: String(v) });
      return;
    case 'Reference': {
      const id = (v as Obj).identifier as Obj | undefined;
      if (id) toTokens({ type: 'Identifier', value: id }, out);
      return;
    }
    default:
      if (typeof v === 'string' || typeof v === 'number') out.push({ system: null, code: String(v) });
  }
}

function pushCoding(c: Obj, out: TokenValue[]): void {
  const code = str(c.code);
  const display = str(c.display);
  if (code)
    out.push({ system: str(c.system) ?? null, code, text: display ? normalizeString(display) : null });
}

export function toStrings(tv: TypedValue, out: StringValue[]): void {
  const v = tv.value;
  const add = (s: unknown) => {
    if (typeof s === 'string' && s.length)
      out.push({ value: normalizeString(s), raw: s.slice(0, MAX_INDEXED) });
  };
  if (typeof v === 'string') {
    add(v);
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  const o = v as Obj;
  if (tv.type === 'HumanName') {
    add(o.family);
    for (const g of (o.given as string[] | undefined) ?? []) add(g);
    for (const g of (o.prefix as string[] | undefined) ?? []) add(g);
    for (const g of (o.suffix as string[] | undefined) ?? []) add(g);
    add(o.text);
    return;
  }
  if (tv.type === 'Address') {
    for (const l of (o.line as string[] | undefined) ?? []) add(l);
    for (const k of ['city', 'district', 'state', 'postalCode', 'country', 'text']) add(o[k]);
    return;
  }
  if (tv.type === 'CodeableConcept') {
    add(o.text);
    for (const c of (o.coding as Obj[] | undefined) ?? []) add(c.display);
    return;
  }
  add(o.text ?? o.display ?? o.value);
}

// ---- dates ------------------------------------------------------------------------------------

const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * Ranges of the dates seen last: a record repeats its dates (an encounter's period is the effective time of its
 * observations, procedures, claims...), and working one out takes a regular expression, two Dates and two
 * ISO strings. Frozen, since callers share them.
 */
const recentRanges = new Map<string, Readonly<RangeValue> | null>();
const RECENT_RANGES = 10_000;

/** The instant range a FHIR date, dateTime or instant covers at its precision (times without zone as UTC). */
export function dateRange(s: string): Readonly<RangeValue> | undefined {
  const known = recentRanges.get(s);
  if (known !== undefined) return known ?? undefined;
  const r = computeDateRange(s);
  if (recentRanges.size >= RECENT_RANGES) recentRanges.clear();
  recentRanges.set(s, r ? Object.freeze(r) : null);
  return r;
}

function computeDateRange(s: string): RangeValue | undefined {
  const m = DATE_RE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, tz] = m;
  const Y = Number(y);
  if (mo && (Number(mo) < 1 || Number(mo) > 12)) return undefined;
  if (d && (Number(d) < 1 || Number(d) > new Date(Date.UTC(Y, Number(mo), 0)).getUTCDate())) return undefined;
  if (h && (Number(h) > 23 || Number(mi) > 59 || (sec && Number(sec) > 60))) return undefined;
  let lo: number;
  let hi: number;
  if (!mo) {
    lo = Date.UTC(Y, 0, 1);
    hi = Date.UTC(Y + 1, 0, 1);
  } else if (!d) {
    lo = Date.UTC(Y, Number(mo) - 1, 1);
    hi = Date.UTC(Y, Number(mo), 1);
  } else if (!h) {
    lo = Date.UTC(Y, Number(mo) - 1, Number(d));
    hi = lo + 86_400_000;
  } else {
    const offset =
      !tz || tz === 'Z'
        ? 0
        : (tz[0] === '-' ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
    const base =
      Date.UTC(Y, Number(mo) - 1, Number(d), Number(h), Number(mi), sec ? Number(sec) : 0) - offset * 60_000;
    if (!sec) {
      lo = base;
      hi = base + 60_000;
    } else if (!frac) {
      lo = base;
      hi = base + 1000;
    } else {
      const ms = Number(`0.${frac}`) * 1000;
      lo = base + Math.floor(ms);
      hi = lo + 1;
    }
  }
  if (Number.isNaN(lo) || Number.isNaN(hi)) return undefined;
  return { lo: new Date(lo).toISOString(), hi: new Date(hi - 1).toISOString() };
}

export function toDateRanges(tv: TypedValue, out: RangeValue[]): void {
  const v = tv.value;
  if (typeof v === 'string') {
    const r = dateRange(v);
    if (r) out.push(r);
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  const o = v as Obj;
  if (tv.type === 'Period' || 'start' in o || 'end' in o) {
    const s = typeof o.start === 'string' ? dateRange(o.start) : undefined;
    const e = typeof o.end === 'string' ? dateRange(o.end) : undefined;
    if (s || e) out.push({ lo: s?.lo ?? '-infinity', hi: e?.hi ?? 'infinity' });
    return;
  }
  if (tv.type === 'Timing') {
    for (const ev of (o.event as string[] | undefined) ?? []) {
      const r = dateRange(ev);
      if (r) out.push(r);
    }
  }
}

// ---- numbers and quantities --------------------------------------------------------------------

/**
 * The range a decimal covers at its stated precision: 100 -> [99.5, 100.5], 1.50 -> [1.495, 1.505]. Worked
 * out on the decimal digits (BigInt), so values beyond double precision get exact bounds; a value with an
 * exponent is taken as exact.
 */
export function numberRange(n: number | string): RangeValue | undefined {
  const s = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?([eE][+-]?\d+)?$/.exec(s);
  if (!m) return undefined;
  if (m[4]) return { lo: s, hi: s };
  const [, sign, int, frac = ''] = m;
  // digits x 10^-decimals, plus or minus half a unit of the last digit: (digits x 10 -+ 5) x 10^-(decimals + 1)
  const digits = BigInt(`${sign}${int}${frac}`) * 10n;
  return { lo: scaled(digits - 5n, frac.length + 1), hi: scaled(digits + 5n, frac.length + 1) };
}

/** The decimal text of n x 10^-decimals. */
function scaled(n: bigint, decimals: number): string {
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(decimals + 1, '0');
  const point = digits.length - decimals;
  return `${negative ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A decimal as written (its kept text when its precision differs from the number's shortest form). */
const decimalText = (tv: TypedValue): number | string | undefined =>
  tv.lexeme ?? (typeof tv.value === 'number' || typeof tv.value === 'string' ? tv.value : undefined);

export function toNumberRanges(tv: TypedValue, out: RangeValue[]): void {
  const v = decimalText(tv);
  if (v !== undefined) {
    const r = numberRange(v);
    if (r) out.push(r);
  }
}

export function toQuantities(tv: TypedValue, out: QuantityValue[]): void {
  const v = tv.value as Obj | null;
  if (typeof v !== 'object' || v === null) return;
  if (tv.type === 'Range' || 'low' in v || 'high' in v) {
    const lo = v.low as Obj | undefined;
    const hi = v.high as Obj | undefined;
    const ref = lo ?? hi;
    if (!ref) return;
    const q: QuantityValue = {
      system: str(ref.system) ?? null,
      code: str(ref.code) ?? str(ref.unit) ?? null,
      lo: typeof lo?.value === 'number' ? (keptLexeme(lo, 'value') ?? String(lo.value)) : '-Infinity',
      hi: typeof hi?.value === 'number' ? (keptLexeme(hi, 'value') ?? String(hi.value)) : 'Infinity',
    };
    out.push(withUcum(q, str(ref.code)));
    return;
  }
  if (typeof v.value !== 'number') return;
  const r = numberRange(keptLexeme(v, 'value') ?? v.value);
  if (!r) return;
  if (tv.type === 'Money') out.push({ system: 'urn:iso:std:iso:4217', code: str(v.currency) ?? null, ...r });
  else
    out.push(
      withUcum(
        { system: str(v.system) ?? null, code: str(v.code) ?? str(v.unit) ?? null, ...r },
        str(v.code),
      ),
    );
}

/** Adds the canonical range when the quantity's system is UCUM and its code (not its display unit) converts. */
function withUcum(q: QuantityValue, code: string | undefined): QuantityValue {
  if (q.system !== UCUM_SYSTEM || !code) return q;
  const ucum = canonicalRange(code, q.lo, q.hi);
  if (ucum) q.ucum = ucum;
  return q;
}

// ---- references and uris ------------------------------------------------------------------------

const REF_RE = /^(?:(.*)\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** Parses a reference string. `localBase` marks absolute URLs that point at this server. */
export function parseReference(ref: string, localBase?: string): ReferenceValue | undefined {
  if (ref.startsWith('#')) return undefined; // contained
  const m = REF_RE.exec(ref);
  if (m) {
    const [, prefix, type, id] = m;
    if (!prefix || (localBase && `${localBase}`.endsWith(prefix))) return { targetType: type, targetId: id };
    return { targetType: type, targetId: ref };
  }
  return { targetType: null, targetId: ref.slice(0, MAX_INDEXED) };
}

export function toReferences(tv: TypedValue, out: ReferenceValue[]): void {
  const v = tv.value;
  if (typeof v === 'string') {
    out.push({ targetType: null, targetId: v.slice(0, MAX_INDEXED) }); // canonical / uri
    return;
  }
  const ref = (v as Obj | null)?.reference;
  if (typeof ref === 'string') {
    const r = parseReference(ref);
    if (r) out.push(r);
  }
}

export function toUris(tv: TypedValue, out: string[]): void {
  if (typeof tv.value === 'string' && tv.value.length) out.push(tv.value.slice(0, MAX_INDEXED));
}
