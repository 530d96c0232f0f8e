// Writes a loaded Terminology (every code-set version, notes, index, tables, edits lists and the built search
// indexes) into a snapshot, and rebuilds it from one. Codes, titles and postings are flat arrays; the small
// structured lists are JSON.
import { type CodeEntry, CodeSystemVersion } from '../code-system.js';
import type { NcciData } from '../edits/ncci.js';
import { indexPtp } from '../edits/ncci.js';
import type { AddendaRecord } from '../loaders/icd10-addenda.js';
import type { BlockRange } from '../loaders/icd10cm-chapters-csv.js';
import type { ConversionRow } from '../loaders/icd10cm-conversion-table.js';
import type { CodeTable } from '../loaders/icd10cm-table-xml.js';
import type { MceList, MceTables } from '../loaders/mce-lists.js';
import type { AocEdit, MueEdit, MueTable, PtpEdit } from '../loaders/ncci-edits.js';
import { type PlainTabularNotes, TabularNotes } from '../notes/tabular-notes.js';
import type { SystemKey } from '../systems.js';
import { Terminology, type TerminologyParts } from '../terminology.js';
import { CompactEntry, TitleTable } from '../title-table.js';
import { ReplacementIndex } from '../update/impact.js';
import { VersionRegistry } from '../version-registry.js';
import { readIndexEntries, writeIndexEntries } from './index-entries-snapshot.js';
import type { SnapshotReader, SnapshotWriter } from './snapshot-file.js';

const NO_TABLE = 0xff;

interface VersionMeta {
  version: string;
  effective: CodeSystemVersion['effective'];
  provenance: CodeSystemVersion['provenance'];
}

interface SystemMeta {
  /** Width of each title table's word numbers (16 bits unless a vocabulary outgrew them). */
  tables: ('u16' | 'u32')[];
  versions: VersionMeta[];
}

/** Entries of every version of one system, each entry once (later years share unchanged entries). */
function writeSystem(w: SnapshotWriter, sys: SystemKey, versions: CodeSystemVersion[]): SystemMeta {
  const pool = new Map<CodeEntry, number>();
  const tables = new Map<TitleTable, number>();
  for (const v of versions)
    for (const e of v.entries) {
      if (!pool.has(e)) pool.set(e, pool.size);
      if (e instanceof CompactEntry && !tables.has(e.table)) tables.set(e.table, tables.size);
    }
  if (tables.size >= NO_TABLE) throw new Error(`${sys}: too many title tables to cache`);
  const n = pool.size;
  const codes: string[] = new Array(n);
  const billable = new Uint8Array(n);
  const order = new Float64Array(n);
  const table = new Uint8Array(n);
  const longRef = new Int32Array(n);
  const shortRef = new Int32Array(n);
  const longText: string[] = new Array(n);
  const shortText: string[] = new Array(n);
  const dates: Record<number, { added?: string; terminated?: string }> = {};
  for (const [e, i] of pool) {
    codes[i] = e.code;
    billable[i] = e.billable ? 1 : 0;
    order[i] = e.order;
    const compact = e instanceof CompactEntry;
    table[i] = compact ? (tables.get(e.table) as number) : NO_TABLE;
    const long = compact ? e.long : e.display;
    const short = compact ? e.short : e.shortDisplay;
    longRef[i] = typeof long === 'number' ? long : -1;
    shortRef[i] = typeof short === 'number' ? short : -1;
    longText[i] = typeof long === 'string' ? long : '';
    shortText[i] = typeof short === 'string' ? short : '';
    if (e.added || e.terminated) dates[i] = { added: e.added, terminated: e.terminated };
  }
  const p = `${sys}.`;
  const widths: SystemMeta['tables'] = [];
  for (const [t, i] of tables) {
    const parts = t.parts();
    widths[i] = parts.flat instanceof Uint16Array ? 'u16' : 'u32';
    w.strings(`${p}table${i}.words`, parts.words);
    w.array(`${p}table${i}.flat`, parts.flat);
  }
  w.strings(`${p}code`, codes);
  w.array(`${p}billable`, billable);
  w.array(`${p}order`, order);
  w.array(`${p}table`, table);
  w.array(`${p}longRef`, longRef);
  w.array(`${p}shortRef`, shortRef);
  w.strings(`${p}longText`, longText);
  w.strings(`${p}shortText`, shortText);
  w.json(`${p}dates`, dates);
  versions.forEach((v, vi) => {
    w.array(
      `${p}v${vi}.entries`,
      Uint32Array.from(v.entries, (e) => pool.get(e) as number),
    );
    const lookup = v.lookupArrays();
    w.array(`${p}v${vi}.sorted`, lookup.sorted);
    w.strings(`${p}v${vi}.bucketKeys`, lookup.bucketKeys);
    w.array(`${p}v${vi}.bucketStarts`, lookup.bucketStarts);
  });
  return {
    tables: widths,
    versions: versions.map((v) => ({ version: v.version, effective: v.effective, provenance: v.provenance })),
  };
}

function readSystem(r: SnapshotReader, sys: SystemKey, meta: SystemMeta): CodeSystemVersion[] {
  const p = `${sys}.`;
  const tables: TitleTable[] = [];
  meta.tables.forEach((width, i) => {
    tables.push(TitleTable.restore(r.strings(`${p}table${i}.words`), r.array(`${p}table${i}.flat`, width)));
  });
  const codes = r.strings(`${p}code`);
  const billable = r.array(`${p}billable`, 'u8');
  const order = r.array(`${p}order`, 'f64');
  const table = r.array(`${p}table`, 'u8');
  const longRef = r.array(`${p}longRef`, 'i32');
  const shortRef = r.array(`${p}shortRef`, 'i32');
  const longText = r.strings(`${p}longText`);
  const shortText = r.strings(`${p}shortText`);
  const dates = r.json<Record<number, { added?: string; terminated?: string }>>(`${p}dates`);
  const pool: CodeEntry[] = new Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const long = longRef[i] >= 0 ? longRef[i] : longText[i];
    const short = shortRef[i] >= 0 ? shortRef[i] : shortText[i];
    if (table[i] !== NO_TABLE) {
      pool[i] = new CompactEntry(codes[i], billable[i] === 1, order[i], tables[table[i]], long, short);
    } else {
      const e: CodeEntry = {
        code: codes[i],
        billable: billable[i] === 1,
        display: String(long),
        shortDisplay: String(short),
        order: order[i],
      };
      if (dates[i]?.added) e.added = dates[i].added;
      if (dates[i]?.terminated) e.terminated = dates[i].terminated;
      pool[i] = e;
    }
  }
  return meta.versions.map((m, vi) => {
    const refs = r.array(`${p}v${vi}.entries`, 'u32');
    const entries: CodeEntry[] = new Array(refs.length);
    for (let i = 0; i < refs.length; i++) entries[i] = pool[refs[i]];
    return new CodeSystemVersion(sys, m.version, m.effective, entries, m.provenance, {
      sorted: r.array(`${p}v${vi}.sorted`, 'u32'),
      bucketKeys: r.strings(`${p}v${vi}.bucketKeys`),
      bucketStarts: r.array(`${p}v${vi}.bucketStarts`, 'u32'),
    });
  });
}

/** Gives the event loop a turn between parts: a server reading or writing the cache keeps answering other requests. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface PlainMce {
  version: string;
  source: string;
  ageRanges: MceTables['ageRanges'];
  lists: [MceList, string[]][];
}

const mceToPlain = (m: MceTables): PlainMce => ({
  version: m.version,
  source: m.source,
  ageRanges: m.ageRanges,
  lists: Object.entries(m.lists).map(([k, set]) => [k as MceList, [...(set ?? [])]]),
});

const mceFromPlain = (p: PlainMce): MceTables => ({
  version: p.version,
  source: p.source,
  ageRanges: p.ageRanges,
  lists: Object.fromEntries(p.lists.map(([k, codes]) => [k, new Set(codes)])),
});

interface PlainNcci {
  ptp: PtpEdit[];
  ptpSource: string;
  mue: { service: MueTable['service']; effective: string; source: string; edits: [string, MueEdit][] }[];
  aocByAddOn: [string, AocEdit[]][];
  aocSource: string;
}

const ncciToPlain = (n: NcciData): PlainNcci => ({
  ptp: [...n.ptp.values()].flat(),
  ptpSource: n.ptpSource,
  mue: n.mue.map((m) => ({ ...m, edits: [...m.edits] })),
  aocByAddOn: [...n.aocByAddOn],
  aocSource: n.aocSource,
});

const ncciFromPlain = (p: PlainNcci): NcciData => ({
  ptp: indexPtp(p.ptp),
  ptpSource: p.ptpSource,
  mue: p.mue.map((m) => ({ ...m, edits: new Map(m.edits) })),
  aocByAddOn: new Map(p.aocByAddOn),
  aocSource: p.aocSource,
});

/** A part built when first read (an install may replace it before: then the cached one is never built). */
function lazyPart<K extends keyof TerminologyParts>(
  parts: TerminologyParts,
  key: K,
  build: () => TerminologyParts[K],
): void {
  let value: TerminologyParts[K] | undefined;
  Object.defineProperty(parts, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      value ??= build();
      return value;
    },
    set: (v: TerminologyParts[K]) => {
      value = v;
    },
  });
}

interface PartsMeta {
  systems: Partial<Record<SystemKey, SystemMeta>>;
  searchers: { system: SystemKey; version: string }[];
  loadTimings: { step: string; ms: number }[];
}

/** Writes the parts in turns (the event loop runs between them: a server writing its cache keeps answering). */
export async function writeTerminology(w: SnapshotWriter, t: Terminology): Promise<PartsMeta> {
  const { parts, searchers } = t.cacheParts();
  const systems: PartsMeta['systems'] = {};
  for (const sys of parts.registry.systemKeys()) {
    const versions = parts.registry.all(sys);
    if (versions.length) systems[sys] = writeSystem(w, sys, versions);
    await turn();
  }
  w.json('addenda', [...parts.addenda]);
  w.json(
    'poaExempt',
    [...parts.poaExempt].map(([fy, set]) => [fy, [...set]]),
  );
  w.json('structure', {
    notes: parts.structure.notes.toPlain(),
    chapters: parts.structure.chapters,
    blocks: parts.structure.blocks,
  });
  await turn();
  writeIndexEntries(w, 'index', parts.index);
  writeIndexEntries(w, 'externalIndex', parts.externalIndex);
  await turn();
  w.json('neoplasm', parts.neoplasm);
  w.json('drug', parts.drug);
  w.json('replacements', parts.replacements.rows);
  w.json('mce', mceToPlain(parts.mce));
  w.json('mceSex', mceToPlain(parts.mceSex));
  w.json('ncci', ncciToPlain(parts.ncci));
  const searcherMeta: PartsMeta['searchers'] = [];
  for (const [i, s] of searchers.entries()) {
    await turn();
    const a = s.arrays(t.indexEntriesFor(s.version));
    const p = `search${i}.`;
    w.strings(`${p}vocabulary`, a.index.vocabulary);
    w.array(`${p}starts`, a.index.starts);
    w.array(`${p}flat`, a.index.flat);
    w.array(`${p}idfs`, a.index.idfs);
    w.array(`${p}docLengths`, a.index.docLengths);
    w.array(`${p}kinds`, a.kinds);
    w.strings(`${p}codes`, a.codes);
    w.array(`${p}entryRefs`, a.entryRefs);
    w.strings(`${p}texts`, a.texts);
    w.array(`${p}codeRefs`, a.codeRefs);
    w.strings(`${p}mainTerms`, a.mainTerms);
    searcherMeta.push({ system: s.version.system, version: s.version.version });
  }
  return { systems, searchers: searcherMeta, loadTimings: t.loadTimings };
}

export async function readTerminology(r: SnapshotReader, meta: PartsMeta): Promise<Terminology> {
  const registry = new VersionRegistry();
  for (const [sys, m] of Object.entries(meta.systems) as [SystemKey, SystemMeta][]) {
    for (const v of readSystem(r, sys, m)) registry.add(v);
    await turn();
  }
  // the tabular notes and the NCCI edits serve code detail and edits, not search: decoded on first use
  const structure = r.jsonLater<{ notes: PlainTabularNotes; chapters: BlockRange[]; blocks: BlockRange[] }>(
    'structure',
  );
  const ncci = r.jsonLater<PlainNcci>('ncci');
  await turn();
  const parts = {
    registry,
    addenda: new Map(r.json<[string, AddendaRecord[]][]>('addenda')),
    poaExempt: new Map(r.json<[number, string[]][]>('poaExempt').map(([fy, codes]) => [fy, new Set(codes)])),
    index: readIndexEntries(r, 'index'),
    externalIndex: readIndexEntries(r, 'externalIndex').map((e) => Object.assign(e, { externalCause: true })),
    neoplasm: r.json<CodeTable>('neoplasm'),
    drug: r.json<CodeTable>('drug'),
    replacements: new ReplacementIndex(r.json<ConversionRow[]>('replacements')),
    mce: mceFromPlain(r.json<PlainMce>('mce')),
    mceSex: mceFromPlain(r.json<PlainMce>('mceSex')),
    timings: [],
  } as Omit<TerminologyParts, 'structure' | 'ncci'> as TerminologyParts;
  lazyPart(parts, 'structure', () => {
    const p = structure();
    return { notes: TabularNotes.fromPlain(p.notes), chapters: p.chapters, blocks: p.blocks };
  });
  lazyPart(parts, 'ncci', () => ncciFromPlain(ncci()));
  const t = new Terminology(parts);
  for (const [i, s] of meta.searchers.entries()) {
    await turn();
    const p = `search${i}.`;
    t.restoreSearchIndex(registry.pick(s.system, { version: s.version }), {
      index: {
        vocabulary: r.strings(`${p}vocabulary`),
        starts: r.array(`${p}starts`, 'u32'),
        flat: r.array(`${p}flat`, 'i32'),
        idfs: r.array(`${p}idfs`, 'f64'),
        docLengths: r.array(`${p}docLengths`, 'u16'),
      },
      kinds: r.array(`${p}kinds`, 'u8'),
      codes: r.strings(`${p}codes`),
      entryRefs: r.array(`${p}entryRefs`, 'i32'),
      texts: r.strings(`${p}texts`),
      codeRefs: r.array(`${p}codeRefs`, 'i32'),
      mainTerms: r.strings(`${p}mainTerms`),
    });
  }
  await turn();
  t.tableSearchers();
  return t;
}
