// What changed between two versions of a code system: codes added, deleted, and retitled.
import type { CodeSystemVersion } from '../code-system.js';

export interface DiffEntry {
  code: string;
  display: string;
  billable: boolean;
}

export interface RevisedEntry {
  code: string;
  from: string;
  to: string;
  billableFrom: boolean;
  billableTo: boolean;
}

export interface VersionDiff {
  system: string;
  from: string;
  to: string;
  added: DiffEntry[];
  deleted: DiffEntry[];
  revised: RevisedEntry[];
  counts: { added: number; deleted: number; revised: number; addedBillable: number; deletedBillable: number };
}

export function diffVersions(a: CodeSystemVersion, b: CodeSystemVersion): VersionDiff {
  const added: DiffEntry[] = [];
  const deleted: DiffEntry[] = [];
  const revised: RevisedEntry[] = [];
  for (const e of b.entries) {
    const old = a.get(e.code);
    // an entry object shared by both years is unchanged (the loader shares only identical entries)
    if (!old) added.push({ code: e.code, display: e.display, billable: e.billable });
    else if (old !== e && (old.display !== e.display || old.billable !== e.billable)) {
      revised.push({
        code: e.code,
        from: old.display,
        to: e.display,
        billableFrom: old.billable,
        billableTo: e.billable,
      });
    }
  }
  for (const e of a.entries)
    if (!b.has(e.code)) deleted.push({ code: e.code, display: e.display, billable: e.billable });
  return {
    system: a.system,
    from: a.version,
    to: b.version,
    added,
    deleted,
    revised,
    counts: {
      added: added.length,
      deleted: deleted.length,
      revised: revised.length,
      addedBillable: added.filter((x) => x.billable).length,
      deletedBillable: deleted.filter((x) => x.billable).length,
    },
  };
}
