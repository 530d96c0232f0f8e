// One version of one code system held in memory: codes in official order, looked up by canonical code.
import type { EffectivePeriod } from './fiscal-year.js';
import { canonicalCode, type SystemKey } from './systems.js';

export interface CodeEntry {
  code: string; // canonical (ICD-10-CM with dot)
  billable: boolean; // "valid for HIPAA-covered transactions"; false = header
  display: string; // long title
  shortDisplay: string;
  order: number; // position in the official order (0-based)
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

export class CodeSystemVersion {
  readonly entries: CodeEntry[];
  private readonly byCode: Map<string, CodeEntry>;
  private sortedCodes: string[] | undefined;

  constructor(
    readonly system: SystemKey,
    readonly version: string,
    readonly effective: EffectivePeriod,
    entries: CodeEntry[],
    readonly provenance: Provenance,
  ) {
    this.entries = entries;
    this.byCode = new Map(entries.map((e) => [e.code, e]));
  }

  get(code: string): CodeEntry | undefined {
    return this.byCode.get(canonicalCode(this.system, code));
  }

  /** Lookup of a code already in canonical form (hot paths: no normalisation). */
  getCanonical(code: string): CodeEntry | undefined {
    return this.byCode.get(code);
  }

  has(code: string): boolean {
    return this.byCode.has(canonicalCode(this.system, code));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Codes that start with `prefix` (canonical), in code order. */
  withPrefix(prefix: string, limit = Number.POSITIVE_INFINITY): CodeEntry[] {
    if (!this.sortedCodes) this.sortedCodes = [...this.byCode.keys()].sort();
    const sorted = this.sortedCodes;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: CodeEntry[] = [];
    for (let i = lo; i < sorted.length && sorted[i].startsWith(prefix) && out.length < limit; i++) {
      const e = this.byCode.get(sorted[i]);
      if (e) out.push(e);
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
