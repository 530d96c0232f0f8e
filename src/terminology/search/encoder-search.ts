// The encoder's search: Alphabetic Index paths, tabular titles and inclusion terms in one ranked index per code system.
import type { CodeEntry, CodeSystemVersion } from '../code-system.js';
import type { IndexEntry } from '../loaders/icd10cm-index-csv.js';
import type { SystemKey } from '../systems.js';
import { expandAbbreviation, type Slot } from './abbreviations.js';
import { type SealedTextIndex, TextIndex, WEAK } from './text-index.js';
import { isStopword, stem, tokenize, words } from './tokenize.js';
import { TopK } from './top-k.js';

export type MatchKind = 'code' | 'index' | 'title' | 'inclusion-term';

export interface SearchHit {
  system: SystemKey;
  code: string;
  display: string;
  billable: boolean;
  score: number;
  matchedBy: MatchKind;
  /** The text that matched: a title, an inclusion term, or the index path joined with " > ". */
  matchedText: string;
  /** Alphabetic Index path (main term, then subterms) that leads to this code, when one matched. */
  indexPath?: string[];
  /** The code as the index prints it; a trailing "-" means the index sends the coder to the tabular for more characters. */
  indexCode?: string;
  /** "external-cause" when the path is one of the External Cause of Injuries Index. */
  index?: 'external-cause';
}

export interface CrossReference {
  path: string[];
  see?: string;
  seeAlso?: string;
}

export interface SearchOptions {
  limit?: number;
  /** Only billable (valid for HIPAA transactions) codes. */
  billableOnly?: boolean;
}

export interface SearchResponse {
  query: string;
  system: SystemKey;
  version: string;
  total: number;
  hits: SearchHit[];
  crossReferences: CrossReference[];
}

interface InclusionTerm {
  code: string;
  text: string;
}

/** Index connectives: they count, but little, and never as a fragment of a longer word ("with" is not "without"). */
const FUNCTION_WORDS = new Set(['with', 'without', 'due', 'unspecified', 'other', 'not', 'no', 'type']);

/** A query word found only among nonessential modifiers counts for this much of a match. */
const WEAK_COVERAGE = 0.75;

const KIND_INDEX = 0;
const KIND_TITLE = 1;
const KIND_INCLUSION = 2;
const KIND_SEE = 3;
const KIND_BONUS = [1.2, 0.6, 0.3, 0];

const CODE_LIKE: Record<SystemKey, RegExp> = {
  icd10cm: /^[a-z](?:\d[0-9a-z]|[a-z]\d)(\.?[0-9a-z]{0,4})?$/,
  icd10pcs: /^(?=.*\d)[0-9bcdfghx][0-9a-hj-np-z]{2,6}$/,
  hcpcs: /^[a-v]\d{1,4}$/,
  cpt: /^\d{3,4}[0-9ftu]?$/,
};

function raw(text: string): string[] {
  return words(text).filter((w) => !isStopword(w));
}

/** Path words at full strength; nonessential modifiers as weak qualifier tokens (they may be present or absent). */
function indexTokens(e: IndexEntry): string[] {
  const strong = tokenize(e.path.join(' '));
  const have = new Set(strong);
  const weak = tokenize(e.nonEssential.join(' '))
    .filter((t) => !have.has(t))
    .map((t) => WEAK + t);
  return strong.concat(weak);
}

/**
 * A header the query matches exactly (K21 "Gastro-esophageal reflux disease") is not what a coder can
 * assign: its best-ranked billable descendant in the list moves up to just before it.
 */
function billableBeforeHeader(hits: SearchHit[]): void {
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i];
    if (h.billable) continue;
    const j = hits.findIndex((d, k) => k > i && d.billable && d.code.startsWith(h.code));
    if (j < 0) continue;
    const [d] = hits.splice(j, 1);
    hits.splice(i, 0, d);
    i++;
  }
}

/** Words that qualify a title without saying what it is about ("site not specified"): they do not lengthen it for ranking. */
const QUALIFIERS = new Set([
  'unspecified',
  'specified',
  'not',
  'site',
  'other',
  'no',
  'nec',
  'elsewhere',
  'classified',
]);

function saidLength(title: string): number {
  return Math.max(1, new Set(tokenize(title).filter((t) => !QUALIFIERS.has(t))).size);
}

/** Words an index path says: nonessential modifiers and a main term's alternate forms ("Diabetes, diabetic") do not count. */
function pathLength(path: string[]): number {
  const main = path[0]?.split(',')[0] ?? '';
  return new Set(tokenize([main, ...path.slice(1)].join(' '))).size;
}

/** An encoder search index as arrays, for the code-set cache. */
export interface EncoderSearchArrays {
  index: SealedTextIndex;
  kinds: Uint8Array;
  codes: string[];
  /** Per document: the position of its index entry in the entries the index was built from, or -1. */
  entryRefs: Int32Array;
  /** Per document without an index entry: its text ("" for a title, read from the code-set entry). */
  texts: string[];
  /** Per document: the position of its code-set entry in `version.entries`, or -1. */
  codeRefs: Int32Array;
  mainTerms: string[];
}

export class EncoderSearch {
  private index = new TextIndex();
  private kinds: number[] | Uint8Array = []; // a Uint8Array once built
  private codes: string[] = []; // the code a document leads to ("S72.0-" for an incomplete index code)
  /** What a document says: its title or inclusion term, or the index entry (whose path is walked when shown). */
  private texts: (string | string[] | IndexEntry)[] = [];
  /** The code-set entry each document leads to (undefined for cross-references), resolved once at build time. */
  private docEntries: (CodeEntry | undefined)[] = [];
  /** First word of an index document's main term ("" for other documents). */
  private mainTerms: string[] = [];
  /** The best "see" cross-reference of the last word search (single-threaded: read right after it). */
  private bestSee: { entry: IndexEntry; score: number } | undefined;

  constructor(
    readonly version: CodeSystemVersion,
    indexEntries: IndexEntry[] = [],
    inclusionTerms: InclusionTerm[] = [],
    restored?: EncoderSearchArrays,
  ) {
    if (restored) {
      this.restore(restored, indexEntries);
      return;
    }
    for (const e of indexEntries) {
      if (e.code) {
        const bare = e.code.endsWith('-') ? e.code.slice(0, -1) : e.code;
        if (!version.getCanonical(bare) && version.withPrefix(bare, 1).length === 0) continue;
        this.addDoc(KIND_INDEX, e.code, e.path, indexTokens(e), e, pathLength(e.path));
      } else if (e.see || e.seeAlso) {
        this.addDoc(KIND_SEE, '', e.path, indexTokens(e), e, pathLength(e.path));
      }
    }
    for (const c of version.entries) {
      const display = c.display; // decoded once (titles may be stored compactly)
      this.addDoc(
        KIND_TITLE,
        c.code,
        display,
        tokenize(display),
        undefined,
        this.titleLength(c, display) ?? saidLength(display),
      );
    }
    for (const t of inclusionTerms) {
      if (version.getCanonical(t.code)) this.addDoc(KIND_INCLUSION, t.code, t.text, tokenize(t.text));
    }
    this.index.seal();
    this.kinds = Uint8Array.from(this.kinds);
  }

  /** The index as arrays (`indexEntries` as given to the constructor), for the code-set cache. */
  arrays(indexEntries: IndexEntry[]): EncoderSearchArrays {
    const entryPos = new Map<IndexEntry, number>();
    indexEntries.forEach((e, i) => {
      entryPos.set(e, i);
    });
    const codePos = new Map<CodeEntry, number>();
    this.version.entries.forEach((e, i) => {
      codePos.set(e, i);
    });
    const n = this.codes.length;
    const entryRefs = new Int32Array(n);
    const codeRefs = new Int32Array(n);
    const texts: string[] = new Array(n);
    for (let d = 0; d < n; d++) {
      const t = this.texts[d];
      const entry = typeof t === 'object' && !Array.isArray(t) ? t : undefined;
      entryRefs[d] = entry ? (entryPos.get(entry) ?? -1) : -1;
      if (entry && entryRefs[d] < 0) throw new Error('search document of an index entry not in the list');
      texts[d] = entry ? '' : Array.isArray(t) ? t.join(' ') : (t as string);
      const e = this.docEntries[d];
      codeRefs[d] = e ? (codePos.get(e) ?? -1) : -1;
    }
    return {
      index: this.index.sealedParts(),
      kinds: this.kinds as Uint8Array,
      codes: this.codes,
      entryRefs,
      texts,
      codeRefs,
      mainTerms: this.mainTerms,
    };
  }

  private restore(a: EncoderSearchArrays, indexEntries: IndexEntry[]): void {
    this.index = TextIndex.restore(a.index);
    this.kinds = a.kinds;
    this.codes = a.codes;
    this.mainTerms = a.mainTerms;
    const n = a.codes.length;
    this.texts = new Array(n);
    this.docEntries = new Array(n);
    const entries = this.version.entries;
    for (let d = 0; d < n; d++) {
      const r = a.entryRefs[d];
      this.texts[d] = r >= 0 ? indexEntries[r] : a.texts[d];
      const c = a.codeRefs[d];
      this.docEntries[d] = c >= 0 ? entries[c] : undefined;
    }
  }

  private entryOf(doc: number): IndexEntry | undefined {
    const t = this.texts[doc];
    return typeof t === 'object' && !Array.isArray(t) ? t : undefined;
  }

  /**
   * A 7-character code's title is its base title plus the 7th-character meaning; ranking by the base
   * keeps "initial encounter" (A) from losing to a shorter "sequela" (S) title when the query names neither.
   */
  private titleLength(c: CodeEntry, display: string): number | undefined {
    if (this.version.system !== 'icd10cm' || c.code.length !== 8) return undefined;
    // the base title: the 6-character code, or the nearest existing ancestor when placeholders fill it (W11.XXXA -> W11)
    for (const n of [7, 6, 5, 3]) {
      const base = this.version.getCanonical(c.code.slice(0, n));
      if (!base) continue;
      const baseDisplay = base.display;
      if (display.startsWith(baseDisplay)) return saidLength(baseDisplay);
    }
    return undefined;
  }

  private addDoc(
    kind: number,
    code: string,
    text: string | string[],
    tokens: string[],
    entry?: IndexEntry,
    length?: number,
  ): void {
    this.index.add(tokens, length);
    this.mainTerms.push(entry && kind === KIND_INDEX ? (tokenize(entry.path[0].split(',')[0])[0] ?? '') : '');
    this.docEntries.push(
      kind === KIND_SEE
        ? undefined
        : this.version.getCanonical(code.endsWith('-') ? code.slice(0, -1) : code),
    );
    (this.kinds as number[]).push(kind);
    this.codes.push(code);
    // a title is read from its code-set entry when shown, not held a second time
    this.texts.push(entry ?? (kind === KIND_TITLE ? '' : text));
  }

  get documentCount(): number {
    return this.index.size;
  }

  search(query: string, options: SearchOptions = {}): SearchResponse {
    const limit = Math.max(1, Math.min(options.limit ?? 20, 500));
    const system = this.version.system;
    // at most 24 words: a pasted paragraph is not a code lookup, and match counts are bytes
    const raw = words(query.slice(0, 500).replace(/(\w)\.(\w)/g, '$1$2')).slice(0, 24);
    const response: SearchResponse = {
      query,
      system,
      version: this.version.version,
      total: 0,
      hits: [],
      crossReferences: [],
    };
    if (raw.length === 0) return response;
    const codeTokens = raw.filter(
      (w) => CODE_LIKE[system].test(w) && this.version.withPrefix(this.canonicalPrefix(w), 1).length > 0,
    );
    const wordTokens = raw.filter((w) => !codeTokens.includes(w));
    const codePrefix = codeTokens.length > 0 ? this.canonicalPrefix(codeTokens[0]) : undefined;
    if (wordTokens.length === 0 && codePrefix !== undefined)
      return this.searchByCode(response, codePrefix, limit, options);
    const first = this.searchByWords(response, wordTokens, codePrefix, limit, options);
    return this.followSee(first, wordTokens, codePrefix, limit, options);
  }

  /**
   * A coder who lands on "Fracture, traumatic, hip - see Fracture, femur, neck" follows the reference.
   * When every word of a cross-reference's path was typed, search its target (plus the query words
   * the path did not use) and put those codes first, with the path that led there.
   */
  private followSee(
    first: SearchResponse,
    typed: string[],
    codePrefix: string | undefined,
    limit: number,
    options: SearchOptions,
  ): SearchResponse {
    const see = this.bestSee;
    if (!see?.entry.see) return first;
    const target = see.entry.see;
    const used = new Set(tokenize(see.entry.path.join(' ')));
    const rest = typed.filter(
      (w) =>
        !tokenize(w).some((t) => used.has(t)) &&
        !(expandAbbreviation(w) ?? []).some((alts) => alts.some((a) => used.has(stem(a)))),
    );
    const targetWords = raw(target);
    if (targetWords.length === 0) return first;
    const follow = this.searchByWords(
      { ...first, hits: [], crossReferences: [], total: 0 },
      [...targetWords, ...rest],
      codePrefix,
      limit,
      options,
    );
    // a reference leads within its own index (the Alphabetic Index or the External Cause Index)
    const sameIndex = (h: SearchHit) =>
      !h.indexPath || (h.index === 'external-cause') === !!see.entry.externalCause;
    const followed = follow.hits.filter(sameIndex).map((h) => ({
      ...h,
      indexPath: [...see.entry.path, `see ${target}`, ...(h.indexPath ?? [])],
    }));
    // The reference leads first when it matched as well as the best code; otherwise the two lists alternate.
    const lead = see.score + KIND_BONUS[KIND_INDEX] + 0.8 >= (first.hits[0]?.score ?? 0);
    const order: SearchHit[] = [];
    if (lead) order.push(...followed, ...first.hits);
    else
      for (let i = 0; i < Math.max(followed.length, first.hits.length); i++)
        order.push(...[first.hits[i], followed[i]].filter((h): h is SearchHit => !!h));
    const seen = new Set<string>();
    const hits: SearchHit[] = [];
    for (const h of order) {
      if (seen.has(h.code)) continue;
      seen.add(h.code);
      hits.push(h);
    }
    return { ...first, hits: hits.slice(0, limit), total: Math.max(first.total, hits.length) };
  }

  private canonicalPrefix(token: string): string {
    const c = token.toUpperCase().replace('.', '');
    return this.version.system === 'icd10cm' && c.length > 3 ? `${c.slice(0, 3)}.${c.slice(3)}` : c;
  }

  private hitOf(e: CodeEntry, score: number, matchedBy: MatchKind, matchedText: string): SearchHit {
    return {
      system: this.version.system,
      code: e.code,
      display: e.display,
      billable: e.billable,
      score,
      matchedBy,
      matchedText,
    };
  }

  private searchByCode(
    response: SearchResponse,
    prefix: string,
    limit: number,
    options: SearchOptions,
  ): SearchResponse {
    const all = this.version.withPrefix(prefix).filter((e) => !options.billableOnly || e.billable);
    all.sort((a, b) => (a.code === prefix ? -1 : b.code === prefix ? 1 : a.order - b.order));
    response.total = all.length;
    response.hits = all
      .slice(0, limit)
      .map((e) => this.hitOf(e, e.code === prefix ? 100 : 50, 'code', e.code));
    return response;
  }

  /** Query words -> slots: abbreviations expand, letter-digit compounds split ("ckd3" -> ckd, 3). */
  private slotsOf(tokens: string[]): { alts: Slot; prefix: boolean; weight: number }[] {
    const slots: { alts: Slot; prefix: boolean; weight: number }[] = [];
    const push = (w: string): void => {
      if (isStopword(w)) return;
      const exp = expandAbbreviation(w);
      if (exp) {
        exp.forEach((alts, i) => {
          slots.push({ alts: i === 0 && w.length >= 3 ? [...alts, w] : alts, prefix: false, weight: 1 });
        });
        return;
      }
      const parts = w.match(/[a-z]+|\d+/g) ?? [];
      if (parts.length > 1) {
        for (const p of parts) push(p);
        return;
      }
      const low = FUNCTION_WORDS.has(w);
      slots.push({ alts: [w], prefix: !low && /[a-z]/.test(w), weight: low ? 0.3 : 1 });
    };
    for (const w of tokens) push(w);
    return slots;
  }

  private searchByWords(
    response: SearchResponse,
    tokens: string[],
    codePrefix: string | undefined,
    limit: number,
    options: SearchOptions,
  ): SearchResponse {
    const slots = this.slotsOf(tokens);
    if (slots.length === 0) return response;
    const m = this.index.match(slots);
    let useFilter = false;
    if (codePrefix !== undefined) {
      // "R20" in "limb-girdle R20" is a word of the term, not a code filter, when nothing under R20 matches
      for (let i = 0; i < m.count && !useFilter; i++)
        useFilter = this.codes[m.docs[i]].startsWith(codePrefix);
    }
    let maxMatched = 0;
    for (let i = 0; i < m.count; i++) {
      if (m.matched[i] > maxMatched && (!useFilter || this.codes[m.docs[i]].startsWith(codePrefix as string)))
        maxMatched = m.matched[i];
    }
    const floor = slots.length >= 3 ? maxMatched - 1 : maxMatched;
    const n = slots.length;
    let walked: { entry: IndexEntry; score: number } | undefined;
    const top = new TopK<{ doc: number; billable: boolean; order: number }>(
      Math.max(200, limit * 10),
      (a, b) => (a.billable !== b.billable ? a.billable : a.order < b.order),
    );
    for (let i = 0; i < m.count; i++) {
      const matched = m.matched[i];
      if (matched < floor) continue;
      const doc = m.docs[i];
      if (useFilter && !this.codes[doc].startsWith(codePrefix as string)) continue;
      const kind = this.kinds[doc];
      const entry = this.docEntries[doc];
      if (kind !== KIND_SEE && !entry) continue;
      const billable = !!entry?.billable && kind !== KIND_SEE && !this.codes[doc].endsWith('-');
      if (options.billableOnly && !billable && kind !== KIND_SEE) continue;
      const coverage = (m.strong[i] + WEAK_COVERAGE * (matched - m.strong[i])) / n;
      const len = Math.max(1, this.index.docLength(doc));
      const precision = Math.min(1, m.strong[i] / len);
      const score =
        m.weight[i] * coverage * coverage +
        4 * precision * coverage +
        KIND_BONUS[kind] +
        (billable ? 0.8 : 0) -
        0.01 * len;
      top.push({ doc, billable, order: entry?.order ?? 0 }, score);
      // a "see" reference whose every word the coder typed is a path they are walking
      if (
        kind === KIND_SEE &&
        precision === 1 &&
        matched >= Math.min(2, n) &&
        (!walked || score > walked.score)
      ) {
        const e = this.entryOf(doc);
        if (e?.see) walked = { entry: e, score };
      }
    }
    // The coder looks a term up under its main term: an index path whose main term was not typed
    // ("Newborn > infection > urinary tract" for "uti") ranks below one entered by its main term.
    const typed = slots.flatMap((sl) => sl.alts.map((a) => stem(a)));
    const mainTyped = (doc: number): boolean => {
      const main = this.mainTerms[doc];
      return !main || typed.some((a) => main === a || (a.length >= 3 && main.startsWith(a)));
    };
    const scored = top
      .sorted()
      .map((x) => ({
        doc: x.item.doc,
        score: x.score - (this.kinds[x.item.doc] === KIND_INDEX && !mainTyped(x.item.doc) ? 1.5 : 0),
      }))
      .sort((a, b) => b.score - a.score);
    this.bestSee = walked;
    const byCode = new Map<string, SearchHit>();
    const indexHits: { code: string; path: string[]; score: number; externalCause?: boolean }[] = [];
    for (const s of scored) {
      const kind = this.kinds[s.doc];
      const entry = this.entryOf(s.doc);
      if (kind === KIND_SEE) {
        if (entry && response.crossReferences.length < 5) {
          const ref: CrossReference = { path: entry.path };
          if (entry.see) ref.see = entry.see;
          if (entry.seeAlso) ref.seeAlso = entry.seeAlso;
          response.crossReferences.push(ref);
        }
        continue;
      }
      const printed = this.codes[s.doc];
      const code = printed.endsWith('-') ? printed.slice(0, -1) : printed;
      if (kind === KIND_INDEX && entry && indexHits.length < 30)
        indexHits.push({
          code: printed,
          path: entry.path,
          score: s.score,
          externalCause: entry.externalCause,
        });
      if (byCode.has(code)) continue;
      const ce = this.version.get(code);
      if (!ce) continue;
      const text = entry
        ? entry.path
        : kind === KIND_TITLE
          ? ce.display
          : (this.texts[s.doc] as string | string[]);
      const hit = this.hitOf(
        ce,
        s.score,
        kind === KIND_INDEX ? 'index' : kind === KIND_TITLE ? 'title' : 'inclusion-term',
        Array.isArray(text) ? text.join(' > ') : text,
      );
      if (kind === KIND_INDEX && entry) {
        hit.indexPath = entry.path;
        hit.indexCode = printed;
        if (entry.externalCause) hit.index = 'external-cause';
      }
      byCode.set(code, hit);
    }
    // A title hit under an incomplete index code ("S72.0-", or an external-cause header such as "W10.9") inherits
    // that path: the index led the coder there.
    for (const hit of byCode.values()) {
      if (hit.indexPath) continue;
      const via = indexHits.find((h) => {
        if (h.code.endsWith('-')) return hit.code.startsWith(h.code.slice(0, -1));
        // the External Cause Index prints "W10.9" for W10.9XXA: a header code is as incomplete as "W10.9-"
        return h.externalCause === true && hit.code.startsWith(h.code) && !this.version.get(h.code)?.billable;
      });
      if (via) {
        hit.indexPath = via.path;
        hit.indexCode = via.code;
        if (via.externalCause) hit.index = 'external-cause';
        hit.score += 0.5 * (via.score / (indexHits[0]?.score || 1));
      }
    }
    const hits = [...byCode.values()];
    const order = (h: SearchHit): number => this.version.get(h.code)?.order ?? 0;
    hits.sort((a, b) => b.score - a.score || Number(b.billable) - Number(a.billable) || order(a) - order(b));
    billableBeforeHeader(hits);
    response.total = hits.length;
    response.hits = hits.slice(0, limit).map((h) => ({ ...h, score: Math.round(h.score * 1000) / 1000 }));
    return response;
  }
}
