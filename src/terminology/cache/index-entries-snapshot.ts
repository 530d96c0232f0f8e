// Alphabetic Index entries in the code-set cache: terms linked to their parent term (as the CSV loader holds
// them) stay linked; entries holding their whole path (the XML loader's) keep it.
import { type IndexEntry, IndexTerm } from '../loaders/icd10cm-index-csv.js';
import type { SnapshotReader, SnapshotWriter } from './snapshot-file.js';

/** Joins the parts of a path held whole; never part of an index term. */
const PART = '\u0001';
const NO_PARENT = -1;
const WHOLE_PATH = -2;

export function writeIndexEntries(w: SnapshotWriter, name: string, entries: IndexEntry[]): void {
  const pos = new Map<IndexEntry, number>();
  entries.forEach((e, i) => {
    pos.set(e, i);
  });
  const n = entries.length;
  const parent = new Int32Array(n);
  const term: string[] = new Array(n);
  const nemod: string[] = new Array(n);
  const code: string[] = new Array(n);
  const see: string[] = new Array(n);
  const seeAlso: string[] = new Array(n);
  entries.forEach((e, i) => {
    const linked = e instanceof IndexTerm && (!e.parent || (pos.get(e.parent) ?? i) < i);
    if (linked) {
      parent[i] = e.parent ? (pos.get(e.parent) as number) : NO_PARENT;
      term[i] = e.term;
      nemod[i] = e.nemod;
    } else {
      parent[i] = WHOLE_PATH;
      term[i] = e.path.join(PART);
      nemod[i] = e.nonEssential.join(PART);
    }
    code[i] = e.code ?? '';
    see[i] = e.see ?? '';
    seeAlso[i] = e.seeAlso ?? '';
  });
  w.array(`${name}.parent`, parent);
  w.strings(`${name}.term`, term);
  w.strings(`${name}.nemod`, nemod);
  w.strings(`${name}.code`, code);
  w.strings(`${name}.see`, see);
  w.strings(`${name}.seeAlso`, seeAlso);
}

export function readIndexEntries(r: SnapshotReader, name: string): IndexEntry[] {
  const parent = r.array(`${name}.parent`, 'i32');
  const term = r.strings(`${name}.term`);
  const nemod = r.strings(`${name}.nemod`);
  const code = r.strings(`${name}.code`);
  const see = r.strings(`${name}.see`);
  const seeAlso = r.strings(`${name}.seeAlso`);
  const out: IndexEntry[] = new Array(parent.length);
  for (let i = 0; i < parent.length; i++) {
    const p = parent[i];
    let e: IndexEntry;
    if (p === WHOLE_PATH) {
      e = { path: term[i].split(PART), nonEssential: nemod[i] ? nemod[i].split(PART) : [] };
      if (code[i]) e.code = code[i];
      if (see[i]) e.see = see[i];
      if (seeAlso[i]) e.seeAlso = seeAlso[i];
    } else {
      const t = new IndexTerm(term[i], nemod[i], p === NO_PARENT ? undefined : (out[p] as IndexTerm));
      if (code[i]) t.code = code[i];
      if (see[i]) t.see = see[i];
      if (seeAlso[i]) t.seeAlso = seeAlso[i];
      e = t;
    }
    out[i] = e;
  }
  return out;
}
