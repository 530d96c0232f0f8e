// Releases installed by `chartroom terminology install`: each official file is copied into the data folder
// and recorded in a manifest, so that every later load (server start, import, CLI) applies it again; the
// code-set cache is keyed by these files too, so a start after an install reads them from the cache.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { badRequest } from '../../platform/errors.js';
import {
  type CachedLoadOptions,
  type CacheOutcome,
  loadTerminologyCached,
  saveCache,
} from '../cache/code-set-cache.js';
import type { EffectivePeriod } from '../fiscal-year.js';
import type { Terminology } from '../terminology.js';

export const INSTALL_KINDS = [
  'icd10cm-order',
  'icd10pcs-order',
  'icd10cm-tabular',
  'icd10cm-index',
  'icd10cm-eindex',
  'hcpcs-anweb',
  'ncci-ptp',
  'cpt',
] as const;

export type InstallKind = (typeof INSTALL_KINDS)[number];

export interface InstallSpec {
  kind: InstallKind;
  /** ICD-10 order files: the fiscal year. */
  fiscalYear?: number;
  /** HCPCS and CPT: the version name ("2026-07") and its effective dates. */
  version?: string;
  effective?: EffectivePeriod;
}

export interface InstalledRelease extends InstallSpec {
  /** File name in the installed-releases folder. */
  file: string;
  original: string;
  sha256: string;
  installedAt: string;
  /** What the install reported (version, counts). */
  summary: string;
}

const FOLDER = 'terminology-installed';
const MANIFEST = 'manifest.json';

export const installedDir = (dataDir: string): string => join(dataDir, FOLDER);

export function readManifest(dataDir: string): InstalledRelease[] {
  const file = join(installedDir(dataDir), MANIFEST);
  if (!existsSync(file)) return [];
  return JSON.parse(readFileSync(file, 'utf8')) as InstalledRelease[];
}

/** Guesses what an official release file is from its name, as CMS and CDC publish them; undefined when unsure. */
export function guessSpec(file: string): InstallSpec | undefined {
  const name = basename(file).toLowerCase();
  const year = /(20\d\d)/.exec(name)?.[1];
  if (/icd10cm[-_]order[-_]20\d\d/.test(name) && year)
    return { kind: 'icd10cm-order', fiscalYear: Number(year) };
  if (/icd10pcs[-_]order[-_]20\d\d/.test(name) && year)
    return { kind: 'icd10pcs-order', fiscalYear: Number(year) };
  if (/eindex/.test(name)) return { kind: 'icd10cm-eindex' };
  if (/tabular/.test(name)) return { kind: 'icd10cm-tabular' };
  if (/index/.test(name) && /\.xml|\.zip/.test(name)) return { kind: 'icd10cm-index' };
  if (/ptp|ccipra|ccioph|ccipract|ccioutpt/.test(name)) return { kind: 'ncci-ptp' };
  return undefined;
}

function requireFields(spec: InstallSpec): void {
  if ((spec.kind === 'icd10cm-order' || spec.kind === 'icd10pcs-order') && !Number.isInteger(spec.fiscalYear))
    throw badRequest(`${spec.kind} needs the fiscal year (--year)`, 'year');
  if ((spec.kind === 'hcpcs-anweb' || spec.kind === 'cpt') && (!spec.version || !spec.effective))
    throw badRequest(`${spec.kind} needs --version and --effective start..end`, 'version');
}

/** Applies one release to loaded code sets; returns a one-line summary. */
export async function applyRelease(t: Terminology, path: string, spec: InstallSpec): Promise<string> {
  requireFields(spec);
  switch (spec.kind) {
    case 'icd10cm-order':
    case 'icd10pcs-order': {
      const v = await t.installOrderFile(
        path,
        spec.kind === 'icd10cm-order' ? 'icd10cm' : 'icd10pcs',
        spec.fiscalYear as number,
      );
      return `${v.name} FY${v.version}: ${v.codes} codes (${v.billable} billable)`;
    }
    case 'icd10cm-tabular': {
      const r = await t.installTabularXml(path);
      return `ICD-10-CM Tabular List FY${r.year}: ${r.chapters} chapters, ${r.codes} codes with their notes`;
    }
    case 'icd10cm-index': {
      const r = await t.installIndexXml(path);
      return `ICD-10-CM Alphabetic Index FY${r.year}: ${r.entries} terms`;
    }
    case 'icd10cm-eindex': {
      const r = await t.installExternalCauseIndexXml(path);
      return `ICD-10-CM External Cause Index FY${r.year}: ${r.entries} terms`;
    }
    case 'hcpcs-anweb': {
      const v = await t.installHcpcsAnweb(path, spec.version as string, spec.effective as EffectivePeriod);
      return `${v.name} ${v.version}: ${v.codes} codes`;
    }
    case 'ncci-ptp': {
      const r = await t.installNcciPtp(path);
      return `NCCI PTP edits: ${r.pairs} pairs`;
    }
    case 'cpt': {
      const v = await t.loadCpt(path, spec.version as string, spec.effective as EffectivePeriod);
      return `${v.name} ${v.version}: ${v.codes} codes`;
    }
  }
}

/** The shipped code sets plus every installed release, from the cache when it matches. */
export async function loadWithInstalled(
  dataDir: string,
  options: CachedLoadOptions = {},
): Promise<{ terminology: Terminology; outcome: CacheOutcome }> {
  const releases = readManifest(dataDir);
  const dir = installedDir(dataDir);
  return loadTerminologyCached({
    ...options,
    extraFiles: releases.map((r) => join(dir, r.file)),
    afterLoad: async (t) => {
      for (const r of releases) await applyRelease(t, join(dir, r.file), r);
      if (releases.length) t.prepareSearch();
    },
  });
}

/**
 * Installs a release: applied to the loaded code sets first (a file that does not parse is refused and nothing
 * is kept), then copied into the data folder and recorded; the cache is rewritten for the next start.
 */
export async function installRelease(
  dataDir: string,
  path: string,
  spec: InstallSpec,
  options: CachedLoadOptions = {},
): Promise<{ release: InstalledRelease; terminology: Terminology }> {
  if (!existsSync(path)) throw badRequest(`No such file: ${path}`, 'file');
  requireFields(spec);
  const { terminology } = await loadWithInstalled(dataDir, options);
  const summary = await applyRelease(terminology, path, spec);
  terminology.prepareSearch();
  const bytes = readFileSync(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const releases = readManifest(dataDir);
  const dir = installedDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = `${String(releases.length + 1).padStart(3, '0')}-${basename(path)}`;
  copyFileSync(path, join(dir, file));
  const release: InstalledRelease = {
    ...spec,
    file,
    original: path,
    sha256,
    installedAt: new Date().toISOString(),
    summary,
  };
  const tmp = join(dir, `${MANIFEST}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify([...releases, release], null, 2)}\n`);
  renameSync(tmp, join(dir, MANIFEST));
  if (options.cacheDir)
    await saveCache(
      terminology,
      options.cacheDir,
      options.dataDir,
      [...releases, release].map((r) => join(dir, r.file)),
    );
  return { release, terminology };
}
