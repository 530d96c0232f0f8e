// Titles of a code system held as word numbers in one typed array, decoded when read: ~180,000 ICD-10 titles
// repeat a vocabulary of a few thousand words, so a title costs about a quarter of a string.
import type { CodeEntry } from './code-system.js';

const LENGTH_BITS = 8;
const MAX_WORDS = (1 << LENGTH_BITS) - 1;

export class TitleTable {
  private readonly ids = new Map<string, number>();
  private readonly words: string[] = [];
  /** Word numbers; 16 bits while the vocabulary allows (ICD-10-CM has ~14,000 words, ICD-10-PCS ~3,000). */
  private flat: Uint16Array | Uint32Array = new Uint16Array(1 << 16);
  private used = 0;

  /**
   * Stores a title (split on single spaces, so it decodes exactly) and returns its reference,
   * start << 8 | word count, or -1 for a title that does not fit (the caller keeps the string).
   */
  put(title: string): number {
    const parts = title.split(' ');
    if (parts.length > MAX_WORDS || this.used + parts.length >= 2 ** (31 - LENGTH_BITS)) return -1;
    if (this.used + parts.length > this.flat.length) {
      const size = Math.max(this.flat.length * 2, this.used + parts.length);
      const grown = this.flat instanceof Uint16Array ? new Uint16Array(size) : new Uint32Array(size);
      grown.set(this.flat);
      this.flat = grown;
    }
    const start = this.used;
    for (const w of parts) {
      let id = this.ids.get(w);
      if (id === undefined) {
        id = this.words.length;
        this.words.push(w);
        this.ids.set(w, id);
        if (id > 0xffff && this.flat instanceof Uint16Array) this.flat = Uint32Array.from(this.flat);
      }
      this.flat[this.used++] = id;
    }
    return (start << LENGTH_BITS) | parts.length;
  }

  /** Gives back the unused tail of the word array (after loading; a later put grows it again). */
  trim(): void {
    if (this.flat.length > this.used) this.flat = this.flat.slice(0, Math.max(this.used, 1));
  }

  /** The table as arrays, for the code-set cache. */
  parts(): { words: string[]; flat: Uint16Array | Uint32Array } {
    return { words: this.words, flat: this.flat.subarray(0, this.used) };
  }

  /** A table from the code-set cache (`flat` may be a view on the cache file). */
  static restore(words: string[], flat: Uint16Array | Uint32Array): TitleTable {
    const t = new TitleTable();
    for (let i = 0; i < words.length; i++) t.ids.set(words[i], i);
    t.words.push(...words);
    t.flat = flat;
    t.used = flat.length;
    return t;
  }

  get(ref: number): string {
    const start = ref >>> LENGTH_BITS;
    const end = start + (ref & MAX_WORDS);
    // join() gives one flat string; `+=` would give a tree of ~10 cons strings, larger than the title itself
    const parts: string[] = new Array(end - start);
    for (let i = start; i < end; i++) parts[i - start] = this.words[this.flat[i]];
    return parts.join(' ');
  }
}

/** A code-set entry whose titles live in a TitleTable (the same shape as a plain CodeEntry to every reader). */
export class CompactEntry implements CodeEntry {
  constructor(
    readonly code: string,
    readonly billable: boolean,
    readonly order: number,
    readonly table: TitleTable,
    /** Title references in `table`, or the title itself when it did not fit. */
    readonly long: number | string,
    readonly short: number | string,
  ) {}

  get display(): string {
    return typeof this.long === 'string' ? this.long : this.table.get(this.long);
  }

  get shortDisplay(): string {
    return typeof this.short === 'string' ? this.short : this.table.get(this.short);
  }
}
