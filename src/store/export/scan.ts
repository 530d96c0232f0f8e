// Reads current resources for a bulk export in rid order, one bounded batch per query (keyset paging on
// the primary key), so that an export of any size holds one batch in memory and never a long-lived
// cursor or transaction (PGlite has a single connection that requests share meanwhile).
import type { Queryable } from '../../platform/db/database.js';
import { visibleRecordSql } from '../restrictions.js';

export interface ScanFilter {
  types: string[];
  /** Only resources changed after this instant. */
  since?: string;
  /** Only resources in some patient's compartment (Patient-level export). */
  inCompartment?: boolean;
  /** Only resources in these patients' compartments (Group export). */
  patients?: string[];
  /** Restricted patients the requester may see; undefined: sees all. */
  visibleRestricted?: string[];
}

export interface ScannedRow {
  rid: string;
  type: string;
  patients: string[];
  content: string;
}

function where(f: ScanFilter, add: (v: unknown) => string): string[] {
  const w = ['NOT r.deleted', `r.type = ANY(${add(f.types)}::text[])`];
  if (f.since) w.push(`r.last_updated > ${add(f.since)}::timestamptz`);
  if (f.inCompartment) w.push("r.patients <> '{}'");
  if (f.patients)
    w.push(
      `r.rid IN (SELECT c.rid FROM resource_compartment c WHERE c.patient = ANY(${add(f.patients)}::text[]))`,
    );
  if (f.visibleRestricted) w.push(restrictedFilter('r', add(f.visibleRestricted)));
  return w;
}

/**
 * Hides resources of restricted patients, and labelled resources, except those of the patients in
 * `visibleParam` (a text[] parameter).
 */
export function restrictedFilter(alias: string, visibleParam: string): string {
  return visibleRecordSql(alias, `${visibleParam}::text[]`);
}

function builder(): { values: unknown[]; add: (v: unknown) => string } {
  const values: unknown[] = [];
  return {
    values,
    add: (v) => {
      values.push(v);
      return `$${values.length}`;
    },
  };
}

/** How many resources the scan will return (for progress). */
export async function countScan(q: Queryable, f: ScanFilter): Promise<number> {
  const b = builder();
  const r = await q.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM resource r WHERE ${where(f, b.add).join(' AND ')}`,
    b.values,
  );
  return Number(r.rows[0].n);
}

/** The next batch after rid `after` (exclusive), in rid order. */
export async function scanBatch(
  q: Queryable,
  f: ScanFilter,
  after: string,
  limit: number,
): Promise<ScannedRow[]> {
  const b = builder();
  const w = where(f, b.add);
  w.push(`r.rid > ${b.add(after)}::bigint`);
  const r = await q.query<ScannedRow>(
    `SELECT r.rid::text AS rid, r.type, r.patients, v.content
       FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
      WHERE ${w.join(' AND ')} ORDER BY r.rid LIMIT ${b.add(limit)}`,
    b.values,
  );
  return r.rows;
}

/** Compartment membership of the given resources (for rows found by search). */
export async function patientsOfRids(q: Queryable, rids: string[]): Promise<Map<string, string[]>> {
  const r = await q.query<{ rid: string; patients: string[] }>(
    'SELECT rid::text AS rid, patients FROM resource WHERE rid = ANY($1::bigint[])',
    [rids],
  );
  return new Map(r.rows.map((x) => [x.rid, x.patients]));
}
