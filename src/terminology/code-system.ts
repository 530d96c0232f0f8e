// One version of one code system held in memory: codes in official order, looked up by canonical code.
import type { EffectivePeriod } from './fiscal-year.js';
import { canonicalCode, type SystemKey } from './systems.js';

export interface CodeEntry {
  code: string; // canonical (ICD-10-CM with dot)
  billable: boolean; // "valid for HIPAA-covered transactions"; false = header
  display: string; // long title
  shortDisplay: string;
  order: number; // position in the official order: sorts codes of one version (may be counted in the positions of a year whose entry it shares)
  /** HCPCS/CPT only: the dates the publisher gives the code itself. */
  added?: string;
  terminated?: string;
}

export interface Provenance {
  publisher: string;
  file: string;
  official: boolean; // false for derived (third-party) reformattings
  note?: string;
}

/**
 * Codes are found by binary search over one typed array of entry positions sorted by code, rather than a
 * Map per version: six versions hold ~370,000 codes, and a Map costs ~40 bytes per code where this costs 4.
 */
export class CodeSystemVersion {
  readonly entries: CodeEntry[];
  private readonly sorted: Uint32Array;

  constructor(
    readonly system: SystemKey,
    readonly version: string,
    readonly effective: EffectivePeriod,
    entries: CodeEntry[],
    readonly provenance: Provenance,
  ) {
    this.entries = entries;
    const byCode = new Map<string, number>();
    entries.forEach((e, i) => {
      byCode.set(e.code, i); // a code listed twice: the later entry wins, as it did with a Map
    });
    const positions = Uint32Array.from(byCode.values());
    positions.sort((a, b) =>
      entries[a].code < entries[b].code ? -1 : entries[a].code > entries[b].code ? 1 : 0,
    );
    this.sorted = positions;
  }

  /** Position in `sorted` of the first code >= `code`. */
  private lowerBound(code: string): number {
    const sorted = this.sorted;
    const entries = this.entries;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (entries[sorted[mid]].code < code) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(code: string): CodeEntry | undefined {
    return this.getCanonical(canonicalCode(this.system, code));
  }

  /** Lookup of a code already in canonical form (hot paths: no normalisation). */
  getCanonical(code: string): CodeEntry | undefined {
    const i = this.lowerBound(code);
    if (i >= this.sorted.length) return undefined;
    const e = this.entries[this.sorted[i]];
    return e.code === code ? e : undefined;
  }

  has(code: string): boolean {
    return this.get(code) !== undefined;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Codes that start with `prefix` (canonical), in code order. */
  withPrefix(prefix: string, limit = Number.POSITIVE_INFINITY): CodeEntry[] {
    const out: CodeEntry[] = [];
    for (let i = this.lowerBound(prefix); i < this.sorted.length && out.length < limit; i++) {
      const e = this.entries[this.sorted[i]];
      if (!e.code.startsWith(prefix)) break;
      out.push(e);
    }
    return out;
  }

  /** Direct children in the official hierarchy: codes one character longer (ICD-10) that start with `code`. */
  children(code: string): CodeEntry[] {
    const c = canonicalCode(this.system, code);
    const bare = c.replace('.', '');
    const out: CodeEntry[] = [];
    const prefix = this.system === 'icd10cm' && c.length === 3 ? `${c}.` : c;
    for (const e of this.withPrefix(prefix)) {
      if (e.code.replace('.', '').length === bare.length + 1) out.push(e);
    }
    return out;
  }
}
