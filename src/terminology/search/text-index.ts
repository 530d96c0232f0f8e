// An inverted index over short texts (titles, index paths) with exact, prefix and alternative-token matching.

import type { Slot } from './abbreviations.js';
import { stem } from './tokenize.js';

/** Marks a qualifier token (a nonessential modifier): it matches, but weakly and without making the document "about" it. */
export const WEAK = '~';

/**
 * Documents that matched at least one slot, as parallel arrays (no object per document: a common
 * word touches tens of thousands). Valid until the next call to match().
 */
export interface MatchResult {
  count: number;
  docs: Int32Array;
  /** Sum over query slots of the best idf-weighted match. */
  weight: Float32Array;
  /** Number of query slots the document satisfies. */
  matched: Uint8Array;
  /** Slots satisfied by a full-strength (not qualifier) word. */
  strong: Uint8Array;
}

export interface SealedTextIndex {
  vocabulary: string[];
  starts: Uint32Array;
  flat: Int32Array;
  idfs: Float64Array;
  docLengths: Uint16Array;
}

export class TextIndex {
  private readonly postingsBuild = new Map<string, number[]>();
  private docLengthsBuild: number[] = [];
  /**
   * Sealed form: term ids in vocabulary order, every posting list in one flat array (`starts[id]` ..
   * `starts[id + 1]`), idf and document lengths in typed arrays. One small typed array per term cost
   * about 150 bytes of objects each, for tens of thousands of terms per index.
   */
  private termIds = new Map<string, number>();
  private vocabulary: string[] = [];
  private starts: Uint32Array = new Uint32Array(1);
  private flat: Int32Array = new Int32Array(0);
  private idfs: Float64Array = new Float64Array(0);
  private docLengths: Uint16Array = new Uint16Array(0);
  private scratchBest = new Float32Array(0);
  private scratchWeight = new Float32Array(0);
  private scratchMatched = new Uint8Array(0);
  private scratchStrong = new Uint8Array(0);
  private scratchSlotStrong = new Uint8Array(0);
  private scratchTouched = new Int32Array(0);
  private result: MatchResult = {
    count: 0,
    docs: new Int32Array(0),
    weight: new Float32Array(0),
    matched: new Uint8Array(0),
    strong: new Uint8Array(0),
  };

  /**
   * Adds a document's tokens (already tokenized) and returns its id. `length` is how many words
   * the document "says" for ranking, when some indexed words are only qualifiers.
   */
  add(tokens: string[], length?: number): number {
    const id = this.docLengthsBuild.length;
    const distinct = new Set(tokens);
    this.docLengthsBuild.push(Math.min(length ?? distinct.size, 0xffff));
    for (const t of distinct) {
      let list = this.postingsBuild.get(t);
      if (!list) {
        list = [];
        this.postingsBuild.set(t, list);
      }
      list.push(id);
    }
    return id;
  }

  /** Freezes the index: typed posting arrays, a sorted vocabulary for prefix search, idf per term. */
  seal(): void {
    const n = this.docLengthsBuild.length;
    this.docLengths = Uint16Array.from(this.docLengthsBuild);
    this.docLengthsBuild = [];
    this.vocabulary = [...this.postingsBuild.keys()].sort();
    const terms = this.vocabulary.length;
    this.starts = new Uint32Array(terms + 1);
    this.idfs = new Float64Array(terms);
    let total = 0;
    for (let id = 0; id < terms; id++) {
      const list = this.postingsBuild.get(this.vocabulary[id]) as number[];
      this.starts[id] = total;
      total += list.length;
      this.idfs[id] = Math.log(1 + n / list.length);
      this.termIds.set(this.vocabulary[id], id);
    }
    this.starts[terms] = total;
    this.flat = new Int32Array(total);
    for (let id = 0; id < terms; id++)
      this.flat.set(this.postingsBuild.get(this.vocabulary[id]) as number[], this.starts[id]);
    this.postingsBuild.clear();
    this.allocateScratch(n);
  }

  private allocateScratch(n: number): void {
    this.scratchBest = new Float32Array(n);
    this.scratchWeight = new Float32Array(n);
    this.scratchMatched = new Uint8Array(n);
    this.scratchStrong = new Uint8Array(n);
    this.scratchSlotStrong = new Uint8Array(n);
    this.scratchTouched = new Int32Array(n);
    this.result = {
      count: 0,
      docs: new Int32Array(n),
      weight: new Float32Array(n),
      matched: new Uint8Array(n),
      strong: new Uint8Array(n),
    };
  }

  /** The sealed index as arrays, for the code-set cache. */
  sealedParts(): SealedTextIndex {
    return {
      vocabulary: this.vocabulary,
      starts: this.starts,
      flat: this.flat,
      idfs: this.idfs,
      docLengths: this.docLengths,
    };
  }

  /** A sealed index from the code-set cache (the arrays may be views on the cache file). */
  static restore(parts: SealedTextIndex): TextIndex {
    const t = new TextIndex();
    t.vocabulary = parts.vocabulary;
    for (let i = 0; i < parts.vocabulary.length; i++) t.termIds.set(parts.vocabulary[i], i);
    t.starts = parts.starts;
    t.flat = parts.flat;
    t.idfs = parts.idfs;
    t.docLengths = parts.docLengths;
    t.allocateScratch(parts.docLengths.length);
    return t;
  }

  get size(): number {
    return this.docLengths.length;
  }

  docLength(doc: number): number {
    return this.docLengths[doc];
  }

  /** Terms to try for one alternative: the exact term, and, for fragments of 3+ letters, every term it begins. */
  private termsFor(alt: string, allowPrefix: boolean): [string, number][] {
    const strong = this.termsForPlain(alt, allowPrefix);
    const weak = this.termsForPlain(WEAK + alt, allowPrefix, WEAK + stem(alt));
    return strong.concat(weak.map(([t, w]) => [t, w * 0.8]));
  }

  private termsForPlain(alt: string, allowPrefix: boolean, stemmed?: string): [string, number][] {
    const exact = stemmed ?? stem(alt);
    const out: [string, number][] = [];
    if (this.termIds.has(exact)) out.push([exact, 1]);
    if (exact !== alt && this.termIds.has(alt)) out.push([alt, 1]);
    if (!allowPrefix || alt.replace(WEAK, '').length < 3) return out;
    const v = this.vocabulary;
    let lo = 0;
    let hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v[mid] < alt) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < v.length && v[i].startsWith(alt); i++) {
      if (v[i] !== exact && v[i] !== alt) out.push([v[i], 0.75]);
    }
    return out;
  }

  /**
   * Scores every document that matches at least one slot. Each slot contributes its best-matching
   * alternative once (so "r" expanded to "right" cannot count twice). Returns touched documents.
   */
  match(slots: { alts: Slot; prefix: boolean; weight: number }[]): MatchResult {
    const best = this.scratchBest;
    const weight = this.scratchWeight;
    const matched = this.scratchMatched;
    const strong = this.scratchStrong;
    const slotStrong = this.scratchSlotStrong;
    const touched = this.scratchTouched;
    const all = this.result.docs;
    let nAll = 0;
    for (const slot of slots) {
      let nTouched = 0;
      for (const alt of slot.alts) {
        for (const [term, w] of this.termsFor(alt, slot.prefix)) {
          const id = this.termIds.get(term);
          if (id === undefined) continue;
          const isStrong = term[0] !== WEAK ? 1 : 0;
          const s = w * this.idfs[id] * slot.weight;
          const flat = this.flat;
          for (let i = this.starts[id], end = this.starts[id + 1]; i < end; i++) {
            const d = flat[i];
            if (best[d] === 0) touched[nTouched++] = d;
            if (s > best[d]) best[d] = s;
            slotStrong[d] |= isStrong;
          }
        }
      }
      for (let i = 0; i < nTouched; i++) {
        const d = touched[i];
        if (matched[d] === 0) all[nAll++] = d;
        weight[d] += best[d];
        matched[d]++;
        strong[d] += slotStrong[d];
        slotStrong[d] = 0;
        best[d] = 0;
      }
    }
    const r = this.result;
    for (let i = 0; i < nAll; i++) {
      const d = all[i];
      r.weight[i] = weight[d];
      r.matched[i] = matched[d];
      r.strong[i] = strong[d];
      weight[d] = 0;
      matched[d] = 0;
      strong[d] = 0;
    }
    r.count = nAll;
    return r;
  }
}
