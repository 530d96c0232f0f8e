// Public surface of the terminology domain: load the code sets, then search, look up, validate, expand, edit and diff.
export { loadTerminology, defaultDataDir, type LoadOptions, type LoadProgress } from './load-terminology.js';
export {
  Terminology,
  type CodeDetail,
  type CodeRequest,
  type EditsResult,
  type ExpandRequest,
  type ExpandResult,
  type ValidateResult,
} from './terminology.js';
export { SYSTEM_URIS, SYSTEM_NAMES, systemKeyOf, canonicalCode, type SystemKey } from './systems.js';
export { fiscalYearOf, fiscalYearPeriod, type EffectivePeriod } from './fiscal-year.js';
export type { SearchHit, SearchResponse, CrossReference, MatchKind } from './search/encoder-search.js';
export type { TableSearchResponse, TableHit, TableCell } from './search/code-table-search.js';
export type { AppliedNote, HierarchyNode, HierarchyLevel, SeventhCharacterRule } from './notes/code-detail.js';
export type { EncounterCodes, EncounterDiagnosis, EncounterProcedure, EncounterType } from './edits/encounter.js';
export type { EditFinding, FindingSeverity } from './edits/finding.js';
export type { VersionDiff, DiffEntry, RevisedEntry } from './update/diff.js';
export type { ImpactReport, ImpactEntry, StoredCode, Replacement } from './update/impact.js';
export type { VersionInfo } from './version-registry.js';
export type { AddendaRecord } from './loaders/icd10-addenda.js';
