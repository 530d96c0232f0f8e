// Converts UCUM quantities to one canonical form per dimension (the base units of the NLM's UCUM library:
// lengths in m, masses in g, volumes in m3...; mol kept as a unit of its own), so that quantity search
// compares 12 g/dL with 120 g/L. Parsing a unit costs tens of microseconds, so each unit string's
// conversion is worked out once and cached: indexing then costs a multiplication per value.
import ucum from '@lhncbc/ucum-lhc';

export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

/** A range in canonical units: `code` names the canonical unit (e.g. `g.m-3`, `m`, `K`, `mol.m-3`, `1`). */
export interface CanonicalRange {
  code: string;
  lo: string;
  hi: string;
}

type Conversion =
  /** canonical = value x factor + offset (all ordinary units; Cel and [degF] with an offset). */
  | { kind: 'affine'; code: string; factor: number; offset: number }
  /** A special unit whose conversion is not affine (e.g. [pH]): converted value by value. */
  | { kind: 'special'; code: string; molFactor: number }
  /** Valid UCUM with no conversion to base units (arbitrary units such as [IU]): compared as written. */
  | { kind: 'arbitrary' }
  | { kind: 'invalid'; reason: string };

const cache = new Map<string, Conversion>();
/** Bounds the cache against data full of distinct made-up units; real data holds a few hundred. */
const MAX_CACHED = 10_000;

let instance: ReturnType<typeof ucum.UcumLhcUtils.getInstance> | undefined;
let avogadro = 0;
function lib() {
  if (!instance) {
    instance = ucum.UcumLhcUtils.getInstance();
    avogadro = instance.convertToBaseUnits('mol', 1).magnitude as number;
  }
  return instance;
}

function conversionOf(unit: string): Conversion {
  let c = cache.get(unit);
  if (c) return c;
  c = workOut(unit);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(unit, c);
  return c;
}

function workOut(unit: string): Conversion {
  const u = lib();
  const parsed = u.getSpecifiedUnit(unit, 'validate', false);
  if (parsed.status !== 'valid' || !parsed.unit)
    return { kind: 'invalid', reason: parsed.retMsg?.join(' ') || `${unit} is not a UCUM unit.` };
  if (parsed.unit.isArbitrary_) return { kind: 'arbitrary' };
  const at = (v: number) => u.convertToBaseUnits(unit, v);
  const one = at(1);
  if (one.status !== 'succeeded' || one.magnitude === undefined || !one.unitToExp)
    return { kind: 'invalid', reason: one.msg.join(' ') || `${unit} does not convert to base units.` };
  // The library counts mol as Avogadro's number (dimensionless), which would make mmol/L comparable with
  // 10*9/L; mol stays a dimension of its own here.
  const mol = parsed.unit.moleExp_ || 0;
  const exps: Record<string, number> = { ...one.unitToExp };
  if (mol) exps.mol = mol;
  const code =
    Object.keys(exps)
      .sort()
      .map((k) => (exps[k] === 1 ? k : `${k}${exps[k]}`))
      .join('.') || '1';
  const molFactor = avogadro ** -mol;
  if (!parsed.unit.isSpecial_) return { kind: 'affine', code, factor: one.magnitude * molFactor, offset: 0 };
  // Temperatures are affine (K = Cel + 273.15); checked at two more points before it is relied upon.
  const zero = at(0).magnitude;
  const hundred = at(100).magnitude;
  if (zero !== undefined && hundred !== undefined) {
    const factor = one.magnitude - zero;
    if (factor > 0 && Math.abs(zero + 100 * factor - hundred) <= 1e-9 * Math.max(1, Math.abs(hundred)))
      return { kind: 'affine', code, factor: factor * molFactor, offset: zero * molFactor };
  }
  return { kind: 'special', code, molFactor };
}

/**
 * Why a unit cannot be used in a UCUM quantity search, or undefined when it can (including arbitrary
 * units, which match only themselves).
 */
export function ucumUnitProblem(unit: string): string | undefined {
  const c = conversionOf(unit);
  return c.kind === 'invalid' ? c.reason : undefined;
}

/**
 * The range lo..hi (decimal text, `-Infinity`/`Infinity` for open ends) of a quantity in `unit`, in
 * canonical units; undefined when the unit has no conversion.
 */
export function canonicalRange(unit: string, lo: string, hi: string): CanonicalRange | undefined {
  const c = conversionOf(unit);
  if (c.kind === 'invalid' || c.kind === 'arbitrary') return undefined;
  let a: number;
  let b: number;
  if (c.kind === 'affine') {
    a = Number(lo) * c.factor + c.offset;
    b = Number(hi) * c.factor + c.offset;
  } else {
    a = special(unit, Number(lo), c.molFactor);
    b = special(unit, Number(hi), c.molFactor);
    if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
    if (a > b) [a, b] = [b, a];
  }
  return { code: c.code, lo: decimal(a), hi: decimal(b) };
}

function special(unit: string, v: number, molFactor: number): number {
  if (!Number.isFinite(v)) return v;
  const r = lib().convertToBaseUnits(unit, v);
  return r.status === 'succeeded' && r.magnitude !== undefined ? r.magnitude * molFactor : Number.NaN;
}

/** Fifteen significant digits: drops the binary noise of the multiplication (0.01 x 170 = 1.7000000000000002). */
function decimal(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  return String(Number(n.toPrecision(15)));
}
