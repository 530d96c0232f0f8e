// The terminology service: one object holding every loaded code set, offering search, detail, validation, expansion, edits and updates.

import { badRequest, notFound } from '../platform/errors.js';
import type { CodeSystemVersion } from './code-system.js';
import { CodeSystemVersion as CodeSystemVersionClass } from './code-system.js';
import { type CodeValidity, checkCode } from './edits/code-validity.js';
import type { EncounterCodes, EncounterProcedure } from './edits/encounter.js';
import type { EditFinding } from './edits/finding.js';
import { mceFindings } from './edits/mce.js';
import { indexPtp, type NcciData, ncciFindings } from './edits/ncci.js';
import { codeFirstFindings, excludes1Findings, useAdditionalCodeFindings } from './edits/tabular-rules.js';
import { type EffectivePeriod, fiscalYearOf } from './fiscal-year.js';
import { loadCptFile } from './loaders/cpt-ama.js';
import { parseAnweb } from './loaders/hcpcs-anweb.js';
import type { AddendaRecord } from './loaders/icd10-addenda.js';
import { loadOrderFile } from './loaders/icd10-order-file.js';
import type { IndexEntry } from './loaders/icd10cm-index-csv.js';
import { parseIndexXml } from './loaders/icd10cm-index-xml.js';
import type { CodeTable, TableRow } from './loaders/icd10cm-table-xml.js';
import { parseTabularXml } from './loaders/icd10cm-tabular-xml.js';
import type { MceTables } from './loaders/mce-lists.js';
import { parsePtpOfficialText } from './loaders/ncci-edits.js';
import { readDataBytes } from './loaders/read-data-file.js';
import { readZipEntries } from './loaders/xlsx-sheet.js';
import {
  type AppliedNote,
  type HierarchyNode,
  hierarchyOf,
  notesFor,
  type SeventhCharacterRule,
  type Structure,
  seventhCharacterRule,
} from './notes/code-detail.js';
import { CodeTableSearch, type TableSearchResponse } from './search/code-table-search.js';
import { EncoderSearch, type EncoderSearchArrays, type SearchResponse } from './search/encoder-search.js';
import { canonicalCode, SYSTEM_NAMES, SYSTEM_URIS, type SystemKey } from './systems.js';
import { diffVersions, type VersionDiff } from './update/diff.js';
import {
  type ImpactReport,
  impactOf,
  type Replacement,
  type ReplacementIndex,
  type StoredCode,
} from './update/impact.js';
import {
  expandDefinition,
  type ValueSetDefinition,
  type ValueSetExpansion,
  type ValueSetValidation,
  validateInDefinition,
} from './value-set/compose.js';
import type { VersionInfo, VersionRegistry } from './version-registry.js';

export interface TerminologyParts {
  registry: VersionRegistry;
  addenda: Map<string, AddendaRecord[]>;
  poaExempt: Map<number, Set<string>>;
  structure: Structure;
  index: IndexEntry[];
  /** The External Cause of Injuries Index, searched like the Alphabetic Index. */
  externalIndex: IndexEntry[];
  neoplasm: CodeTable;
  drug: CodeTable;
  replacements: ReplacementIndex;
  mce: MceTables;
  mceSex: MceTables;
  ncci: NcciData;
  timings: { step: string; ms: number }[];
}

export interface CodeRequest {
  /** System key ("icd10cm", "icd10pcs", "hcpcs", "cpt") or official URI. Default icd10cm. */
  system?: string;
  code: string;
  /** A loaded version ("2026" / "FY2026" for ICD-10, "2024-07" for HCPCS). */
  version?: string;
  /** Date of service (ISO): selects the fiscal year in effect. */
  date?: string;
}

export interface CodeDetail {
  system: SystemKey;
  systemUri: string;
  version: string;
  effective: EffectivePeriod;
  code: string;
  display: string;
  shortDisplay: string;
  billable: boolean;
  hierarchy: HierarchyNode[];
  children: { code: string; display: string; billable: boolean }[];
  notes: AppliedNote[];
  seventhCharacter?: SeventhCharacterRule;
  poaExempt?: boolean;
  /** MCE lists the code is on (age, sex, manifestation, unacceptable principal). */
  mceLists?: string[];
  /** When the code took effect and the code(s) it replaced, from the CDC conversion table. */
  introduced?: { effectiveDate: string; previous: string[] };
  /** Which Tabular List year(s) the notes come from, and what that means. */
  notesSource?: string;
}

export interface ValidateResult extends CodeValidity {
  system: SystemKey;
  systemUri: string;
  version: string;
}

export interface ExpandRequest {
  system?: string;
  version?: string;
  /** Date of service (ISO): selects the version in effect, as for lookup. */
  date?: string;
  /** Free-text filter, searched like the encoder search. */
  filter?: string;
  /** Only codes under this code (e.g. "E11"). */
  parent?: string;
  billableOnly?: boolean;
  offset?: number;
  count?: number;
}

export interface ExpandResult {
  system: SystemKey;
  systemUri: string;
  version: string;
  total: number;
  offset: number;
  contains: { system: string; code: string; display: string; billable: boolean }[];
}

export interface EditsResult {
  fiscalYear: number;
  versions: Record<string, string>;
  findings: EditFinding[];
  counts: { error: number; warning: number; information: number };
}

function hcpcsOrCpt(p: EncounterProcedure): 'hcpcs' | 'cpt' | 'icd10pcs' {
  return p.system ?? (/^\d{4}[0-9A-Z]$/.test(p.code.toUpperCase()) ? 'cpt' : 'hcpcs');
}

/** One cell of the Neoplasm Table or the Table of Drugs as an index entry; its path is built when asked for. */
class TableCellEntry implements IndexEntry {
  constructor(
    private readonly row: TableRow,
    private readonly column: string,
    readonly code: string,
  ) {}

  get path(): string[] {
    return [...this.row.path, this.column];
  }

  get nonEssential(): string[] {
    return this.row.nonEssential;
  }
}

/**
 * Neoplasm and drug table cells as index paths (site or substance, then the column heading), so the
 * encoder search reaches "liver, secondary" -> C78.7. A cell code that needs more characters keeps a dash.
 */
function tableEntries(table: CodeTable, v: CodeSystemVersion): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (const row of table.rows) {
    for (const [column, code] of Object.entries(row.cells)) {
      const bare = code.replace(/-$/, '');
      const e = v.get(bare);
      const incomplete = code.endsWith('-') || (e !== undefined && !e.billable);
      out.push(new TableCellEntry(row, column, incomplete ? `${bare}-` : bare));
    }
  }
  return out;
}

/** Text of a release file: plain, gzipped, or the member of a zip whose name matches `member`. */
async function textFromRelease(path: string, member: RegExp, encoding: 'utf8' | 'latin1'): Promise<string> {
  const bytes = await readDataBytes(path);
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const entries = readZipEntries(bytes);
    const name = [...entries.keys()].find((n) => member.test(n));
    const data = name ? entries.get(name) : undefined;
    if (!data) throw badRequest(`${path}: no member matching ${member} in the zip`, 'path');
    return data.toString(encoding);
  }
  return bytes.toString(encoding);
}

export class Terminology {
  /** Official FHIR system URIs by key. */
  readonly systems = SYSTEM_URIS;
  loadMs = 0;
  private readonly searchers = new Map<CodeSystemVersion, EncoderSearch>();
  /** The entries each search index was built from (table cells are made per version): the cache refers to them by position. */
  private readonly indexEntryLists = new Map<CodeSystemVersion, IndexEntry[]>();
  private tables?: { neoplasm: CodeTableSearch; drug: CodeTableSearch };

  constructor(private readonly parts: TerminologyParts) {}

  /** Every loaded code-system version with its effective dates and provenance. */
  versions(): VersionInfo[] {
    return this.parts.registry.list();
  }

  /** The loaded versions of one system, newest first (none for CPT without a licensed file). */
  loadedVersions(system: SystemKey): CodeSystemVersion[] {
    return this.parts.registry.all(system);
  }

  get loadTimings(): { step: string; ms: number }[] {
    return this.parts.timings;
  }

  /** @internal the parts and the built search indexes, for the code-set cache. */
  cacheParts(): { parts: TerminologyParts; searchers: EncoderSearch[] } {
    return { parts: this.parts, searchers: [...this.searchers.values()] };
  }

  /** @internal a search index restored from the code-set cache. */
  restoreSearchIndex(v: CodeSystemVersion, arrays: EncoderSearchArrays): void {
    this.searchers.set(v, new EncoderSearch(v, this.indexEntriesFor(v), [], arrays));
  }

  /** @internal the Alphabetic Index paths (and table cells, as paths) an ICD-10-CM search index is built from. */
  indexEntriesFor(v: CodeSystemVersion): IndexEntry[] {
    if (v.system !== 'icd10cm') return [];
    let list = this.indexEntryLists.get(v);
    if (!list) {
      list = [
        ...this.parts.index,
        ...this.parts.externalIndex,
        ...tableEntries(this.parts.neoplasm, v),
        ...tableEntries(this.parts.drug, v),
      ];
      this.indexEntryLists.set(v, list);
    }
    return list;
  }

  /** @internal the search index of one version, built on first use. */
  searchIndexFor(v: CodeSystemVersion): EncoderSearch {
    let s = this.searchers.get(v);
    if (!s) {
      const inclusion: { code: string; text: string }[] = [];
      if (v.system === 'icd10cm') {
        for (const d of this.parts.structure.notes.allDiags()) {
          for (const n of d.node.notes)
            if (n.kind === 'inclusionTerm') inclusion.push({ code: d.node.code, text: n.text });
        }
      }
      s = new EncoderSearch(v, this.indexEntriesFor(v), inclusion);
      this.searchers.set(v, s);
    }
    return s;
  }

  /** Encoder search by words, fragments, abbreviations, a code or a code prefix. */
  search(
    query: string,
    options: {
      system?: string;
      version?: string;
      date?: string;
      limit?: number;
      billableOnly?: boolean;
    } = {},
  ): SearchResponse {
    if (typeof query !== 'string') throw badRequest('query must be a string', 'query');
    const v = this.parts.registry.pick(this.parts.registry.systemOf(options.system), options);
    return this.searchIndexFor(v).search(query, options);
  }

  /** Neoplasm Table (site x behavior) or Table of Drugs and Chemicals (substance x intent). */
  searchTable(
    table: 'neoplasm' | 'drug',
    query: string,
    options: { column?: string; limit?: number } = {},
  ): TableSearchResponse {
    if (table !== 'neoplasm' && table !== 'drug')
      throw badRequest(`table must be "neoplasm" or "drug"`, 'table');
    return this.tableSearchers()[table].search(query, options);
  }

  /** @internal built on first use (and by loadTerminology, so that the first request does not pay for it). */
  tableSearchers(): { neoplasm: CodeTableSearch; drug: CodeTableSearch } {
    if (!this.tables) {
      const cm = this.parts.registry.pick('icd10cm');
      this.tables = {
        neoplasm: new CodeTableSearch('neoplasm', this.parts.neoplasm, cm),
        drug: new CodeTableSearch('drug', this.parts.drug, cm),
      };
    }
    return this.tables;
  }

  /** Full detail of one code; throws a 404 FhirError when the code is not in the chosen version. */
  lookup(req: CodeRequest): CodeDetail {
    const system = this.parts.registry.systemOf(req.system);
    const v = this.parts.registry.pick(system, req);
    const code = canonicalCode(system, req.code);
    const e = v.get(code);
    if (!e) throw notFound(`${code} is not a ${SYSTEM_NAMES[system]} code in version ${v.version}.`);
    const detail: CodeDetail = {
      system,
      systemUri: SYSTEM_URIS[system],
      version: v.version,
      effective: v.effective,
      code: e.code,
      display: e.display,
      shortDisplay: e.shortDisplay,
      billable: e.billable,
      hierarchy: [],
      children: v.children(code).map((c) => ({ code: c.code, display: c.display, billable: c.billable })),
      notes: [],
    };
    if (system !== 'icd10cm') return detail;
    const s = this.parts.structure;
    detail.hierarchy = hierarchyOf(code, v, s);
    detail.notes = notesFor(code, s);
    const seventh = seventhCharacterRule(code, s, v);
    if (seventh) detail.seventhCharacter = seventh;
    const fy = Number(v.version);
    const poa = this.parts.poaExempt.get(fy);
    if (poa) detail.poaExempt = poa.has(code);
    const lists: string[] = [];
    for (const [name, set] of Object.entries(this.parts.mce.lists))
      if (set?.has(code)) lists.push(`${name} (MCE ${this.parts.mce.version})`);
    for (const name of ['male', 'female'] as const)
      if (this.parts.mceSex.lists[name]?.has(code))
        lists.push(
          `${name} only (MCE ${this.parts.mceSex.version}; sex edit deactivated by CMS from 2024-10-01)`,
        );
    if (lists.length) detail.mceLists = lists;
    const introduced = this.parts.replacements.rowOf(code);
    if (introduced)
      detail.introduced = { effectiveDate: introduced.effectiveDate, previous: introduced.previous };
    const years = [
      ...new Set(
        detail.notes.map((n) => n.tabularYear).concat(seventh?.tabularYear ? [seventh.tabularYear] : []),
      ),
    ].sort();
    detail.notesSource = years.length
      ? `Instructional notes from the ICD-10-CM Tabular List XML FY${years.join(' and FY')} (the newest complete XML available is FY2017; chapter 2 is FY2025). Notes added after that year are not shown.`
      : 'No instructional notes found in the available Tabular List XML (FY2017, chapter 2 FY2025).';
    return detail;
  }

  /** Valid and billable in the version in effect on `date` (or the named/newest version)? Never throws for an unknown code. */
  validateCode(req: CodeRequest): ValidateResult {
    const system = this.parts.registry.systemOf(req.system);
    const v = this.parts.registry.pick(system, req);
    const res = checkCode(v, req.code, system === 'icd10cm' ? this.parts.structure : undefined);
    if (res.valid && (system === 'hcpcs' || system === 'cpt') && req.date) {
      const e = v.get(res.code);
      if (e?.terminated && e.terminated < req.date) {
        res.valid = false;
        res.message = `${res.code} was terminated on ${e.terminated}.`;
      } else if (e?.added && e.added > req.date) {
        res.valid = false;
        res.message = `${res.code} takes effect on ${e.added}.`;
      }
    }
    return { ...res, system, systemUri: SYSTEM_URIS[system], version: v.version };
  }

  /** ValueSet-style expansion: codes of a system (under a parent, matching a text filter), paged. */
  expand(req: ExpandRequest = {}): ExpandResult {
    const system = this.parts.registry.systemOf(req.system);
    const v = this.parts.registry.pick(system, req);
    const offset = Math.max(0, req.offset ?? 0);
    const count = Math.max(0, Math.min(req.count ?? 100, 1000));
    const uri = SYSTEM_URIS[system];
    let codes: { code: string; display: string; billable: boolean }[];
    if (req.filter?.trim()) {
      const res = this.searchIndexFor(v).search(req.filter, {
        limit: 500,
        billableOnly: req.billableOnly ?? false,
      });
      codes = res.hits.filter((h) => !req.parent || h.code.startsWith(canonicalCode(system, req.parent)));
    } else {
      const parent = req.parent ? canonicalCode(system, req.parent) : '';
      codes = (parent ? v.withPrefix(parent) : v.entries).filter((e) => !req.billableOnly || e.billable);
    }
    return {
      system,
      systemUri: uri,
      version: v.version,
      total: codes.length,
      offset,
      contains: codes
        .slice(offset, offset + count)
        .map((c) => ({ system: uri, code: c.code, display: c.display, billable: c.billable })),
    };
  }

  /** Expansion of a ValueSet given by its definition (compose.include / exclude), with a text filter, paged. */
  expandValueSet(
    def: ValueSetDefinition,
    opts: { filter?: string; date?: string; offset?: number; count?: number } = {},
  ): ValueSetExpansion {
    return expandDefinition(def, (sys, o) => this.parts.registry.pick(sys, o), opts);
  }

  /** Is the code in the ValueSet given by its definition? Never throws for a code outside it. */
  validateInValueSet(
    def: ValueSetDefinition,
    req: { system: string; code: string; date?: string },
  ): ValueSetValidation {
    const system = this.parts.registry.systemOf(req.system);
    return validateInDefinition(def, (sys, o) => this.parts.registry.pick(sys, o), { ...req, system });
  }

  /** Coding edits for one encounter: validity, 7th character, notes, MCE, POA, NCCI. */
  edits(enc: EncounterCodes): EditsResult {
    if (!enc || !Array.isArray(enc.diagnoses)) throw badRequest('diagnoses must be an array', 'diagnoses');
    if (!enc.date || !/^\d{4}-\d{2}-\d{2}$/.test(enc.date))
      throw badRequest('date must be an ISO date (yyyy-mm-dd)', 'date');
    const fy = fiscalYearOf(enc.date);
    const cm = this.parts.registry.pick('icd10cm', { date: enc.date });
    const s = this.parts.structure;
    const findings: EditFinding[] = [];
    const codes = enc.diagnoses.map((d) => canonicalCode('icd10cm', d.code));
    const source = `ICD-10-CM FY${cm.version} code set (CMS order file: billable flag)`;
    for (const code of codes) {
      const r = checkCode(cm, code, s);
      if (r.valid) continue;
      findings.push({
        severity: 'error',
        rule: `icd10cm.${r.problem}`,
        ruleSource:
          r.problem?.startsWith('seventh') || r.problem === 'placeholder-missing'
            ? `ICD-10-CM Tabular List 7th-character rule; ${source}`
            : source,
        message: r.message,
        codes: [code],
        suggestions: r.suggestions,
      });
    }
    const known = codes.filter((c) => cm.has(c));
    findings.push(
      ...excludes1Findings(known, s),
      ...codeFirstFindings(known, s),
      ...useAdditionalCodeFindings(known, s),
    );
    findings.push(
      ...mceFindings(enc, codes, {
        current: this.parts.mce,
        sex: this.parts.mceSex,
        poaExempt: this.parts.poaExempt.get(fy),
        poaYear: fy,
      }),
    );
    const versions: Record<string, string> = { icd10cm: cm.version };
    const procs = enc.procedures ?? [];
    for (const p of procs) {
      const sys = hcpcsOrCpt(p);
      const list = this.parts.registry.all(sys);
      if (list.length === 0) {
        if (sys === 'cpt') continue; // CPT text is licensed: without the AMA file, a CPT code cannot be checked
        continue;
      }
      const v = this.parts.registry.pick(sys, sys === 'icd10pcs' ? { date: enc.date } : {});
      versions[sys] = v.version;
      const r = checkCode(v, p.code);
      if (!r.valid)
        findings.push({
          severity: 'error',
          rule: `${sys}.${r.problem}`,
          ruleSource: `${SYSTEM_NAMES[sys]} ${v.version}`,
          message: r.message,
          codes: [r.code],
          suggestions: r.suggestions,
        });
    }
    const lines = procs.filter((p) => hcpcsOrCpt(p) !== 'icd10pcs');
    if (lines.length > 0) {
      const service =
        enc.encounterType === 'outpatient' || enc.encounterType === 'emergency'
          ? 'outpatient-hospital'
          : 'practitioner';
      findings.push(...ncciFindings(lines, enc.date, service, this.parts.ncci));
    }
    const counts = { error: 0, warning: 0, information: 0 };
    for (const f of findings) counts[f.severity]++;
    const rank = { error: 0, warning: 1, information: 2 };
    findings.sort((a, b) => rank[a.severity] - rank[b.severity]);
    return { fiscalYear: fy, versions, findings, counts };
  }

  /** Added, deleted and retitled codes between two loaded versions of one system. */
  diff(system: string, fromVersion: string, toVersion: string): VersionDiff {
    const key = this.parts.registry.systemOf(system);
    return diffVersions(
      this.parts.registry.pick(key, { version: fromVersion }),
      this.parts.registry.pick(key, { version: toVersion }),
    );
  }

  /** The official addenda (add / delete / revise records) published with an ICD-10 fiscal year. */
  addenda(system: string, version: string): AddendaRecord[] {
    const key = this.parts.registry.systemOf(system);
    const a = this.parts.addenda.get(`${key}|${version.replace(/^FY/, '')}`);
    if (!a) throw notFound(`No addenda loaded for ${key} ${version}.`);
    return a;
  }

  /** Codes that replaced `code` according to the CDC conversion table, as found in the target version. */
  replacementsFor(code: string, targetVersion?: string): Replacement[] {
    const v = this.parts.registry.pick('icd10cm', targetVersion ? { version: targetVersion } : {});
    return this.parts.replacements
      .rowsFor(canonicalCode('icd10cm', code))
      .map((r) => ({ row: r, e: v.get(r.current) }))
      .filter((x) => x.e)
      .map((x) => ({
        code: x.row.current,
        display: x.e?.display ?? '',
        billable: x.e?.billable ?? false,
        effectiveDate: x.row.effectiveDate,
      }));
  }

  /** Which stored codes are not valid (billable) in the target version, with replacements. */
  impact(
    codes: StoredCode[],
    options: { icd10cmVersion?: string; icd10pcsVersion?: string } = {},
  ): ImpactReport {
    const r = this.parts.registry;
    const target: Partial<Record<SystemKey, CodeSystemVersion>> = {
      icd10cm: r.pick('icd10cm', options.icd10cmVersion ? { version: options.icd10cmVersion } : {}),
      icd10pcs: r.pick('icd10pcs', options.icd10pcsVersion ? { version: options.icd10pcsVersion } : {}),
    };
    if (r.all('hcpcs').length) target.hcpcs = r.pick('hcpcs');
    if (r.all('cpt').length) target.cpt = r.pick('cpt');
    const older: Partial<Record<SystemKey, CodeSystemVersion[]>> = {};
    // only earlier versions explain a "deleted" code; a code of a later year is unknown to the target year
    for (const [k, v] of Object.entries(target) as [SystemKey, CodeSystemVersion][])
      older[k] = r.all(k).filter((x) => x.effective.start < v.effective.start);
    return impactOf(codes, target, older, this.parts.replacements);
  }

  /** Adds a licensed AMA CPT file (Chartroom ships no CPT text). */
  async loadCpt(path: string, version: string, effective: EffectivePeriod): Promise<VersionInfo> {
    const v = await loadCptFile(path, version, effective);
    this.parts.registry.add(v);
    return this.parts.registry.info(v);
  }

  /**
   * Installs a CDC Tabular List XML (the .xml, .xml.gz, or the CDC "table and index" .zip holding it):
   * its chapters replace older years' notes; code detail then says the notes come from that year.
   */
  async installTabularXml(path: string): Promise<{ year: number; chapters: number; codes: number }> {
    const text = await textFromRelease(path, /tabular[^/]*\.xml$/i, 'utf8');
    const list = parseTabularXml(text, path.split('/').pop() ?? path);
    this.parts.structure.notes.merge(list);
    this.searchers.clear();
    return { year: list.year, chapters: list.chapters.size, codes: list.diags.size };
  }

  /**
   * Installs a CDC Alphabetic Index XML (.xml, .xml.gz, or the CDC "table and index" .zip): it replaces
   * the index paths the encoder search walks, and the search index is rebuilt.
   */
  async installIndexXml(path: string): Promise<{ year: number; entries: number }> {
    const text = await textFromRelease(path, /(^|[/_-])index[-_]\d{4}\.xml$/i, 'utf8');
    const { year, entries } = parseIndexXml(text, path.split('/').pop() ?? path);
    if (entries.length === 0) throw badRequest(`${path}: no index terms found`, 'path');
    this.parts.index = entries;
    this.searchers.clear();
    this.indexEntryLists.clear();
    this.searchIndexFor(this.parts.registry.pick('icd10cm'));
    return { year, entries: entries.length };
  }

  /** Installs a CDC External Cause of Injuries Index XML (.xml, .xml.gz or the CDC .zip) in place of the shipped one. */
  async installExternalCauseIndexXml(path: string): Promise<{ year: number; entries: number }> {
    const text = await textFromRelease(path, /eindex[-_]\d{4}\.xml$/i, 'utf8');
    const { year, entries } = parseIndexXml(text, path.split('/').pop() ?? path);
    if (entries.length === 0) throw badRequest(`${path}: no index terms found`, 'path');
    for (const e of entries) e.externalCause = true;
    this.parts.externalIndex = entries;
    this.searchers.clear();
    this.indexEntryLists.clear();
    this.prepareSearch();
    return { year, entries: entries.length };
  }

  /** @internal builds the search index of each system's newest version (and the table searches) ahead of use. */
  prepareSearch(): void {
    for (const s of this.parts.registry.systemKeys()) this.searchIndexFor(this.parts.registry.pick(s));
    this.tableSearchers();
  }

  /** Installs an official CMS NCCI PTP file (tab-separated text, or the CMS .zip holding it) in place of the shipped sample. */
  async installNcciPtp(path: string): Promise<{ pairs: number }> {
    const text = await textFromRelease(path, /\.txt$/i, 'latin1');
    const edits = parsePtpOfficialText(text);
    if (edits.length === 0) throw badRequest(`${path}: no PTP edits found`, 'path');
    this.parts.ncci = {
      ...this.parts.ncci,
      ptp: indexPtp(edits),
      ptpSource: `NCCI PTP edits (${path.split('/').pop() ?? path})`,
    };
    return { pairs: edits.length };
  }

  /** Installs an official CMS HCPCS ANWEB file (the .txt or the CMS .zip holding it) as a new HCPCS version. */
  async installHcpcsAnweb(path: string, version: string, effective: EffectivePeriod): Promise<VersionInfo> {
    const parsed = parseAnweb(await textFromRelease(path, /anweb[^/]*\.txt$/i, 'latin1'));
    if (parsed.codes.length === 0) throw badRequest(`${path}: no HCPCS records found`, 'path');
    const v = new CodeSystemVersionClass('hcpcs', version, effective, parsed.codes, {
      publisher: 'CMS',
      file: path.split('/').pop() ?? path,
      official: true,
    });
    this.parts.registry.add(v);
    return this.parts.registry.info(v);
  }

  /** Installs an official CMS order file of another fiscal year (next year's release) beside the loaded ones. */
  async installOrderFile(
    path: string,
    system: 'icd10cm' | 'icd10pcs',
    fiscalYear: number,
  ): Promise<VersionInfo> {
    const v = await loadOrderFile(path, system, fiscalYear, {
      publisher: system === 'icd10cm' ? 'CMS / CDC NCHS' : 'CMS',
      official: true,
    });
    this.parts.registry.add(v);
    return this.parts.registry.info(v);
  }
}
