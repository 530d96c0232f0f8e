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

export interface CodeLookupArrays {
  sorted: Uint32Array;
  bucketKeys: string[];
  bucketStarts: Uint32Array;
}

/**
 * Codes are found by binary search over one typed array of entry positions sorted by code, narrowed first to
 * the codes sharing the first three characters, rather than a Map per version: six versions hold ~370,000
 * codes, and a Map costs ~40 bytes per code where this costs 4 (plus one small Map of ~2,000 prefixes).
 */
export class CodeSystemVersion {
  readonly entries: CodeEntry[];
  private readonly sorted: Uint32Array;
  /** Three-character prefix -> its number; its codes are sorted[bucketStarts[n]] .. sorted[bucketStarts[n + 1] - 1]. */
  private readonly buckets = new Map<string, number>();
  private readonly bucketStarts: Uint32Array;

  constructor(
    readonly system: SystemKey,
    readonly version: string,
    readonly effective: EffectivePeriod,
    entries: CodeEntry[],
    readonly provenance: Provenance,
    /** The lookup arrays as saved by the code-set cache (skips the sort). */
    lookup?: CodeLookupArrays,
  ) {
    this.entries = entries;
    if (lookup) {
      this.sorted = lookup.sorted;
      lookup.bucketKeys.forEach((k, i) => {
        this.buckets.set(k, i);
      });
      this.bucketStarts = lookup.bucketStarts;
      return;
    }
    const byCode = new Map<string, number>();
    entries.forEach((e, i) => {
      byCode.set(e.code, i); // a code listed twice: the later entry wins, as it did with a Map
    });
    // the engine's own string sort, then positions: several times faster than a comparator over positions
    const codes = [...byCode.keys()].sort();
    const positions = new Uint32Array(codes.length);
    for (let i = 0; i < codes.length; i++) positions[i] = byCode.get(codes[i]) as number;
    this.sorted = positions;
    const starts: number[] = [];
    for (let i = 0; i < positions.length; i++) {
      const prefix = entries[positions[i]].code.slice(0, 3);
      if (!this.buckets.has(prefix)) {
        this.buckets.set(prefix, starts.length);
        starts.push(i);
      }
    }
    starts.push(positions.length);
    this.bucketStarts = Uint32Array.from(starts);
  }

  /** The lookup arrays, for the code-set cache. */
  lookupArrays(): CodeLookupArrays {
    return { sorted: this.sorted, bucketKeys: [...this.buckets.keys()], bucketStarts: this.bucketStarts };
  }

  /** Position in `sorted` of the first code >= `code`, searching only [lo, hi). */
  private lowerBound(code: string, lo = 0, hi = this.sorted.length): number {
    const sorted = this.sorted;
    const entries = this.entries;
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
    const b = this.buckets.get(code.slice(0, 3));
    if (b === undefined) return undefined;
    const end = this.bucketStarts[b + 1];
    const i = this.lowerBound(code, this.bucketStarts[b], end);
    if (i >= end) return undefined;
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
    let from: number;
    if (prefix.length >= 3) {
      const b = this.buckets.get(prefix.slice(0, 3));
      if (b === undefined) return out;
      from = this.lowerBound(prefix, this.bucketStarts[b], this.bucketStarts[b + 1]);
    } else from = this.lowerBound(prefix);
    for (let i = from; i < this.sorted.length && out.length < limit; i++) {
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
