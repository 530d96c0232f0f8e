// All loaded versions of every code system, and the choice of version for a date of service.

import { badRequest, notFound } from '../platform/errors.js';
import type { CodeSystemVersion } from './code-system.js';
import { isWithin } from './fiscal-year.js';
import { SYSTEM_NAMES, SYSTEM_URIS, type SystemKey, systemKeyOf } from './systems.js';

export interface VersionInfo {
  system: SystemKey;
  systemUri: string;
  name: string;
  version: string;
  effective: { start: string; end: string };
  codes: number;
  billable: number;
  publisher: string;
  file: string;
  official: boolean;
  note?: string;
}

export class VersionRegistry {
  private readonly bySystem = new Map<SystemKey, CodeSystemVersion[]>();

  add(v: CodeSystemVersion): void {
    const list = (this.bySystem.get(v.system) ?? []).filter((x) => x.version !== v.version);
    list.push(v);
    list.sort((a, b) => (a.effective.start < b.effective.start ? 1 : -1)); // newest first
    this.bySystem.set(v.system, list);
  }

  /** The systems loaded, in the order they were first added. */
  systemKeys(): SystemKey[] {
    return [...this.bySystem.keys()];
  }

  all(system: SystemKey): CodeSystemVersion[] {
    return this.bySystem.get(system) ?? [];
  }

  /** Parses a system key or URI from an API caller; throws a 400 FhirError when unknown. */
  systemOf(system: string | undefined, fallback: SystemKey = 'icd10cm'): SystemKey {
    if (system === undefined || system === '') return fallback;
    const key = systemKeyOf(system);
    if (!key)
      throw badRequest(
        `Unknown code system "${system}". Known: ${Object.values(SYSTEM_URIS).join(', ')}`,
        'system',
      );
    return key;
  }

  /**
   * The version to use: the named one, else the one in effect on `date`, else the newest. A date
   * outside every loaded ICD-10 fiscal year is an error, since the code set in effect is not loaded.
   */
  pick(system: SystemKey, opts: { version?: string; date?: string } = {}): CodeSystemVersion {
    const list = this.all(system);
    if (list.length === 0)
      throw notFound(
        `${SYSTEM_NAMES[system]} is not loaded${system === 'cpt' ? ' (CPT needs a licensed AMA file: loadCpt)' : ''}.`,
      );
    if (opts.version) {
      const v = list.find((x) => x.version === opts.version || `FY${x.version}` === opts.version);
      if (!v)
        throw notFound(
          `${SYSTEM_NAMES[system]} version "${opts.version}" is not loaded (loaded: ${list.map((x) => x.version).join(', ')}).`,
        );
      return v;
    }
    if (opts.date) {
      if (!/^\d{4}-\d{2}-\d{2}/.test(opts.date)) throw badRequest(`Not an ISO date: "${opts.date}"`, 'date');
      const inEffect = list.find((x) => isWithin(opts.date as string, x.effective));
      if (inEffect) return inEffect;
      if (system === 'icd10cm' || system === 'icd10pcs') {
        throw notFound(
          `No ${SYSTEM_NAMES[system]} fiscal year covering ${opts.date} is loaded (loaded: ${list.map((x) => `FY${x.version} ${x.effective.start}..${x.effective.end}`).join(', ')}).`,
        );
      }
      return list.find((x) => x.effective.start <= (opts.date as string)) ?? list[list.length - 1];
    }
    return list[0];
  }

  info(v: CodeSystemVersion): VersionInfo {
    const out: VersionInfo = {
      system: v.system,
      systemUri: SYSTEM_URIS[v.system],
      name: SYSTEM_NAMES[v.system],
      version: v.version,
      effective: v.effective,
      codes: v.size,
      billable: v.entries.filter((e) => e.billable).length,
      publisher: v.provenance.publisher,
      file: v.provenance.file,
      official: v.provenance.official,
    };
    if (v.provenance.note) out.note = v.provenance.note;
    return out;
  }

  list(): VersionInfo[] {
    return [...this.bySystem.values()].flat().map((v) => this.info(v));
  }
}
