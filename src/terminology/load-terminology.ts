// Loads every shipped code set from terminology-data/ (or a given directory), reporting progress step by step.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONVERSION_TABLE,
  HCPCS_FILES,
  ICD_YEARS,
  INDEX_FILES,
  MCE_FILES,
  NCCI_FILES,
  TABULAR_FILES,
} from './data-catalog.js';
import { indexPtp } from './edits/ncci.js';
import { loadAnweb } from './loaders/hcpcs-anweb.js';
import { loadHcpcsDerived } from './loaders/hcpcs-derived-csv.js';
import { type AddendaRecord, loadOrderAddenda } from './loaders/icd10-addenda.js';
import { loadOrderFile } from './loaders/icd10-order-file.js';
import { loadChapters, loadSections } from './loaders/icd10cm-chapters-csv.js';
import { loadConversionTable } from './loaders/icd10cm-conversion-table.js';
import { loadIndexCsv } from './loaders/icd10cm-index-csv.js';
import { loadExternalCauseIndexXml } from './loaders/icd10cm-index-xml.js';
import { loadCodeTableXml } from './loaders/icd10cm-table-xml.js';
import { loadTabularXml } from './loaders/icd10cm-tabular-xml.js';
import { loadMceCsv, loadMceJson } from './loaders/mce-lists.js';
import { type AocEdit, loadAocJson, loadMueCsv, loadMueJson, loadPtpCsv } from './loaders/ncci-edits.js';
import { loadPoaExempt } from './loaders/poa-exempt.js';
import { TabularNotes } from './notes/tabular-notes.js';
import { Terminology, type TerminologyParts } from './terminology.js';
import { TitleTable } from './title-table.js';
import { ReplacementIndex } from './update/impact.js';
import { VersionRegistry } from './version-registry.js';

export interface LoadProgress {
  step: string;
  done: number;
  total: number;
}

export interface LoadOptions {
  /** Directory holding the shipped files (default: the repository's terminology-data/). */
  dataDir?: string;
  onProgress?: (p: LoadProgress) => void;
}

export function defaultDataDir(): string {
  return fileURLToPath(new URL('../../../terminology-data/', import.meta.url));
}

export async function loadTerminology(options: LoadOptions = {}): Promise<Terminology> {
  const dir = options.dataDir ?? defaultDataDir();
  if (!existsSync(dir)) throw new Error(`terminology data directory not found: ${dir}`);
  const path = (rel: string): string => join(dir, rel);
  const started = performance.now();
  const steps: [string, () => Promise<void>][] = [];
  const registry = new VersionRegistry();
  const addenda = new Map<string, AddendaRecord[]>();
  const poaExempt = new Map<number, Set<string>>();
  const parts: Partial<TerminologyParts> = { registry, addenda, poaExempt, timings: [] };
  // one word table per system, shared by its fiscal years
  const titles = { icd10cm: new TitleTable(), icd10pcs: new TitleTable() };

  for (const y of ICD_YEARS) {
    steps.push([
      `ICD-10-CM FY${y.fiscalYear} order file`,
      async () => {
        registry.add(
          await loadOrderFile(
            path(y.cmOrder),
            'icd10cm',
            y.fiscalYear,
            { publisher: 'CMS / CDC NCHS', official: true },
            registry.all('icd10cm')[0],
            titles.icd10cm,
          ),
        );
        addenda.set(`icd10cm|${y.fiscalYear}`, await loadOrderAddenda(path(y.cmAddenda), 'icd10cm'));
        poaExempt.set(y.fiscalYear, await loadPoaExempt(path(y.poaExempt)));
      },
    ]);
    steps.push([
      `ICD-10-PCS FY${y.fiscalYear} order file`,
      async () => {
        registry.add(
          await loadOrderFile(
            path(y.pcsOrder),
            'icd10pcs',
            y.fiscalYear,
            { publisher: 'CMS', official: true },
            registry.all('icd10pcs')[0],
            titles.icd10pcs,
          ),
        );
        addenda.set(`icd10pcs|${y.fiscalYear}`, await loadOrderAddenda(path(y.pcsAddenda), 'icd10pcs'));
      },
    ]);
  }
  steps.push([
    'ICD-10-CM Tabular List XML (notes)',
    async () => {
      const lists = [];
      for (const t of TABULAR_FILES) lists.push(await loadTabularXml(path(t.file)));
      parts.structure = {
        notes: new TabularNotes(lists),
        chapters: await loadChapters(path(INDEX_FILES.chapters)),
        blocks: await loadSections(path(INDEX_FILES.sections)),
      };
    },
  ]);
  steps.push([
    'ICD-10-CM Alphabetic Index FY2025',
    async () => {
      parts.index = await loadIndexCsv(path(INDEX_FILES.alphabeticIndex));
    },
  ]);
  steps.push([
    'ICD-10-CM External Cause Index FY2025',
    async () => {
      parts.externalIndex = await loadExternalCauseIndexXml(path(INDEX_FILES.externalCauseIndex));
    },
  ]);
  steps.push([
    'Neoplasm Table and Table of Drugs FY2025',
    async () => {
      parts.neoplasm = await loadCodeTableXml(path(INDEX_FILES.neoplasm));
      parts.drug = await loadCodeTableXml(path(INDEX_FILES.drug));
    },
  ]);
  steps.push([
    'ICD-10-CM conversion table FY2026',
    async () => {
      parts.replacements = new ReplacementIndex(await loadConversionTable(path(CONVERSION_TABLE.file)));
    },
  ]);
  steps.push([
    'HCPCS Level II',
    async () => {
      for (const h of HCPCS_FILES) {
        if (h.kind === 'derived-csv')
          registry.add(await loadHcpcsDerived(path(h.files[0]), path(h.files[1]), h.version, h.effective));
        else registry.add((await loadAnweb(path(h.files[0]), h.version, h.effective)).version);
      }
    },
  ]);
  steps.push([
    'Medicare Code Editor lists',
    async () => {
      parts.mce = await loadMceJson(path(MCE_FILES.current.file), MCE_FILES.current.version);
      parts.mceSex = await loadMceCsv(path(MCE_FILES.withSex.file), MCE_FILES.withSex.version);
    },
  ]);
  steps.push([
    'NCCI MUE, add-on code and PTP edits',
    async () => {
      const aoc = await loadAocJson(path(NCCI_FILES.aoc.file));
      const aocByAddOn = new Map<string, AocEdit[]>();
      for (const e of aoc) aocByAddOn.set(e.addOn, [...(aocByAddOn.get(e.addOn) ?? []), e]);
      parts.ncci = {
        ptp: indexPtp(await loadPtpCsv(path(NCCI_FILES.ptpSample.file))),
        ptpSource: `NCCI PTP practitioner edits effective ${NCCI_FILES.ptpSample.effective} (first 5,000 pairs only: a sample)`,
        mue: [
          await loadMueJson(
            path(NCCI_FILES.muePractitioner.file),
            'practitioner',
            NCCI_FILES.muePractitioner.effective,
          ),
          await loadMueCsv(
            path(NCCI_FILES.mueOutpatient.file),
            'outpatient-hospital',
            NCCI_FILES.mueOutpatient.effective,
          ),
        ],
        aocByAddOn,
        aocSource: 'NCCI add-on code edits 2026 Q3 (AOC_V2026Q3-F-MCR)',
      };
    },
  ]);
  steps.push([
    'ICD-10 titles',
    async () => {
      titles.icd10cm.trim();
      titles.icd10pcs.trim();
    },
  ]);
  // The steps that parse files into short-lived trees (spreadsheet and table XML, JSON and CSV lists) go first,
  // while little is held: V8 sizes the heap after the live data, so their garbage then costs less memory.
  const treeParsers = /conversion table|Neoplasm Table|HCPCS|Medicare Code Editor|NCCI/;
  steps.sort((a, b) => Number(treeParsers.test(b[0])) - Number(treeParsers.test(a[0])));
  const total = steps.length + 1;
  for (let i = 0; i < steps.length; i++) {
    const [step, run] = steps[i];
    options.onProgress?.({ step, done: i, total });
    // each step parses synchronously: give the event loop a turn between steps, so a server loading the
    // code sets in the background (or for its first terminology request) keeps answering other requests
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = performance.now();
    await run();
    parts.timings?.push({ step, ms: Math.round(performance.now() - t0) });
  }
  options.onProgress?.({ step: 'Search indexes', done: steps.length, total });
  const t0 = performance.now();
  const terminology = new Terminology(parts as TerminologyParts);
  for (const s of ['icd10cm', 'icd10pcs', 'hcpcs'] as const) {
    terminology.searchIndexFor(registry.pick(s));
    await new Promise((resolve) => setImmediate(resolve));
  }
  terminology.tableSearchers();
  parts.timings?.push({ step: 'Search indexes', ms: Math.round(performance.now() - t0) });
  terminology.loadMs = Math.round(performance.now() - started);
  options.onProgress?.({ step: 'done', done: total, total });
  return terminology;
}
