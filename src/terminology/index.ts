// Public surface of the terminology domain: load the code sets, then search, look up, validate, expand, edit and diff.

export { CHECKED_SYSTEMS, codeCheckOf, codingIssues } from './binding/coding-issues.js';

export {
  type CachedLoadOptions,
  type CacheOutcome,
  cacheKey,
  loadTerminologyCached,
  saveCache,
} from './cache/code-set-cache.js';
export type {
  EncounterCodes,
  EncounterDiagnosis,
  EncounterProcedure,
  EncounterType,
} from './edits/encounter.js';
export type { EditFinding, FindingSeverity } from './edits/finding.js';
export { type EffectivePeriod, fiscalYearOf, fiscalYearPeriod } from './fiscal-year.js';
export {
  applyRelease,
  guessSpec,
  INSTALL_KINDS,
  type InstalledRelease,
  type InstallKind,
  type InstallSpec,
  installedDir,
  installRelease,
  loadWithInstalled,
  readManifest,
} from './install/installed-releases.js';
export { defaultDataDir, type LoadOptions, type LoadProgress, loadTerminology } from './load-terminology.js';
export type { AddendaRecord } from './loaders/icd10-addenda.js';
export type {
  AppliedNote,
  HierarchyLevel,
  HierarchyNode,
  SeventhCharacterRule,
} from './notes/code-detail.js';
export type { TableCell, TableHit, TableSearchResponse } from './search/code-table-search.js';
export type { CrossReference, MatchKind, SearchHit, SearchResponse } from './search/encoder-search.js';
export { canonicalCode, SYSTEM_NAMES, SYSTEM_URIS, type SystemKey, systemKeyOf } from './systems.js';
export {
  type CodeDetail,
  type CodeRequest,
  type EditsResult,
  type ExpandRequest,
  type ExpandResult,
  Terminology,
  type ValidateResult,
} from './terminology.js';
export type { DiffEntry, RevisedEntry, VersionDiff } from './update/diff.js';
export type { ImpactEntry, ImpactReport, Replacement, StoredCode } from './update/impact.js';
export type {
  ComposeFilter,
  ComposeFilterOp,
  ComposeInclude,
  ValueSetDefinition,
  ValueSetExpansion,
  ValueSetValidation,
} from './value-set/compose.js';
export type { VersionInfo } from './version-registry.js';
