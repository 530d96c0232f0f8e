// The yearly-update impact on stored codes: which are not valid in the target year, and what the conversion table offers instead.
import type { CodeSystemVersion } from '../code-system.js';
import type { ConversionRow } from '../loaders/icd10cm-conversion-table.js';
import { canonicalCode, type SystemKey } from '../systems.js';

export interface StoredCode {
  system: SystemKey;
  code: string;
  /** Anything the caller wants back with the finding (resource reference, element path...). */
  ref?: string;
}

export interface Replacement {
  code: string;
  display: string;
  billable: boolean;
  effectiveDate: string;
}

export interface ImpactEntry {
  system: SystemKey;
  code: string;
  ref?: string;
  status: 'deleted' | 'header-not-billable' | 'unknown';
  /** Title in the last loaded version that still had the code, if any. */
  previousDisplay?: string;
  previousVersion?: string;
  replacements: Replacement[];
  message: string;
}

export interface ImpactReport {
  targetVersion: string;
  checked: number;
  affected: ImpactEntry[];
}

export class ReplacementIndex {
  private readonly byPrevious = new Map<string, ConversionRow[]>();
  private readonly byCurrent = new Map<string, ConversionRow>();

  constructor(readonly rows: ConversionRow[]) {
    for (const r of rows) {
      this.byCurrent.set(r.current, r);
      for (const p of r.previous) this.byPrevious.set(p, [...(this.byPrevious.get(p) ?? []), r]);
    }
  }

  /** The conversion-table row that introduced `code`, if it is in the table. */
  rowOf(code: string): ConversionRow | undefined {
    return this.byCurrent.get(code);
  }

  /** Conversion-table rows whose "previous code(s)" include `code`. */
  rowsFor(code: string): ConversionRow[] {
    return this.byPrevious.get(code) ?? [];
  }
}

export function impactOf(
  codes: StoredCode[],
  target: Partial<Record<SystemKey, CodeSystemVersion>>,
  older: Partial<Record<SystemKey, CodeSystemVersion[]>>,
  replacements: ReplacementIndex,
): ImpactReport {
  const affected: ImpactEntry[] = [];
  const versionName = Object.values(target)
    .map((v) => `${v?.system} ${v?.version}`)
    .join(', ');
  for (const s of codes) {
    const v = target[s.system];
    if (!v) continue;
    const code = canonicalCode(s.system, s.code);
    const e = v.get(code);
    if (e?.billable) continue;
    const prev = (older[s.system] ?? []).find((o) => o.get(code));
    const entry: ImpactEntry = {
      system: s.system,
      code,
      status: e ? 'header-not-billable' : prev ? 'deleted' : 'unknown',
      replacements: [],
      message: '',
    };
    if (s.ref !== undefined) entry.ref = s.ref;
    if (prev) {
      entry.previousVersion = prev.version;
      entry.previousDisplay = prev.get(code)?.display ?? '';
    }
    if (s.system === 'icd10cm') {
      for (const r of replacements.rowsFor(code)) {
        const ne = v.get(r.current);
        if (ne)
          entry.replacements.push({
            code: ne.code,
            display: ne.display,
            billable: ne.billable,
            effectiveDate: r.effectiveDate,
          });
      }
    }
    if (entry.replacements.length === 0 && e) {
      for (const c of v.withPrefix(code.length === 3 && s.system === 'icd10cm' ? `${code}.` : code, 50)) {
        if (c.billable)
          entry.replacements.push({
            code: c.code,
            display: c.display,
            billable: true,
            effectiveDate: v.effective.start,
          });
      }
    }
    entry.message =
      entry.status === 'deleted'
        ? `${code} (${entry.previousDisplay}) was valid in ${s.system} ${entry.previousVersion} and is not in ${v.version}.`
        : entry.status === 'header-not-billable'
          ? `${code} is a header in ${v.version} and no longer billable: it was expanded to more specific codes.`
          : `${code} is not a code in ${s.system} ${v.version}.`;
    affected.push(entry);
  }
  return { targetVersion: versionName, checked: codes.length, affected };
}
