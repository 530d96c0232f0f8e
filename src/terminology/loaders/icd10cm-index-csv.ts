// Loader for the FY2025 Alphabetic Index flattened to CSV (derived from the CDC index XML): rebuilds each term's path.
import { canonicalCode } from '../systems.js';
import { parseCsvRecords } from './csv.js';
import { readDataText } from './read-data-file.js';

export interface IndexEntry {
  /** Main term first, then each subterm; nonessential modifiers kept apart. */
  path: string[];
  nonEssential: string[];
  /** Code as printed in the index; a trailing "-" means more characters are needed. */
  code?: string;
  see?: string;
  seeAlso?: string;
  /** From the External Cause of Injuries Index rather than the Alphabetic Index of diseases and injuries. */
  externalCause?: boolean;
}

/** Shared by the many entries without nonessential modifiers (most of the 81k have none). */
const NONE: string[] = [];

/**
 * One index term, linked to its parent term: the path is walked when asked for instead of being held as
 * an array per entry (81,000 arrays repeating their main term and subterms cost ~8 MB).
 */
export class IndexTerm implements IndexEntry {
  code: string | undefined = undefined;
  see: string | undefined = undefined;
  seeAlso: string | undefined = undefined;

  constructor(
    readonly term: string,
    readonly nemod: string,
    readonly parent: IndexTerm | undefined,
  ) {}

  get path(): string[] {
    const out: string[] = [];
    for (let t: IndexTerm | undefined = this; t; t = t.parent) out.push(t.term);
    return out.reverse();
  }

  get nonEssential(): string[] {
    const out: string[] = [];
    for (let t: IndexTerm | undefined = this; t; t = t.parent) if (t.nemod) out.push(t.nemod);
    return out.length ? out.reverse() : NONE;
  }
}

/** Columns RowID, Letter, Level, Term, See, SeeAlso, NonEssModif, Code; rows in document order. */
export function parseIndexCsv(text: string): IndexEntry[] {
  const records = parseCsvRecords(text, ['Level', 'Term', 'See', 'SeeAlso', 'NonEssModif', 'Code']);
  const stack: IndexTerm[] = [];
  const out: IndexEntry[] = [];
  for (const r of records) {
    const level = Number(r.Level);
    if (!Number.isInteger(level) || level < 0) continue;
    stack.length = level;
    const e = new IndexTerm(r.Term.trim(), r.NonEssModif.trim(), stack[level - 1]);
    stack.push(e);
    const code = r.Code.trim();
    if (code)
      e.code = code.endsWith('-')
        ? `${canonicalCode('icd10cm', code.slice(0, -1))}-`
        : canonicalCode('icd10cm', code);
    if (r.See.trim()) e.see = r.See.trim();
    if (r.SeeAlso.trim()) e.seeAlso = r.SeeAlso.trim();
    out.push(e);
  }
  return out;
}

export async function loadIndexCsv(path: string): Promise<IndexEntry[]> {
  return parseIndexCsv(await readDataText(path));
}
