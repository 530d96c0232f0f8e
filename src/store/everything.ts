// Patient/$everything: the patient, every current resource in its compartment, and the resources they
// reference that belong to no patient (Practitioner, Organization, Location, Medication...), one page at
// a time in rid order (keyset paging), hiding restricted patients' records as the caller's visibility says.
import { allResourceTypes, patientCompartmentParams } from '../fhir/definitions.js';
import type { Queryable } from '../platform/db/database.js';
import { restrictedFilter } from './export/scan.js';

export interface EverythingQuery {
  patient: string;
  /** Only these types (the _type parameter, narrowed to what the caller may read). */
  types?: string[];
  /** Only resources changed after this instant. */
  since?: string;
  count: number;
  /** Keyset cursor: resources with a rid greater than this. */
  after?: string;
  visibleRestricted?: string[];
}

let outside: string[] | undefined;
/** Resource types that are never in a Patient compartment (directory, definitions, Medication...). */
function outsideCompartment(): string[] {
  outside ??= allResourceTypes().filter((t) => t !== 'Patient' && patientCompartmentParams(t).length === 0);
  return outside;
}

export async function everythingPage(
  q: Queryable,
  e: EverythingQuery,
): Promise<{ entries: { rid: string; content: string }[]; next?: string }> {
  const values: unknown[] = [];
  const add = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const patient = add(e.patient);
  const w = ['NOT r.deleted'];
  if (e.after) w.push(`r.rid > ${add(e.after)}::bigint`);
  if (e.types) w.push(`r.type = ANY(${add(e.types)}::text[])`);
  if (e.since) w.push(`r.last_updated > ${add(e.since)}::timestamptz`);
  if (e.visibleRestricted) w.push(restrictedFilter('r', add(e.visibleRestricted)));
  // Referenced resources are taken only when they are in no compartment, so that a reference to
  // another patient's record (a RelatedPerson, a mother's Patient) never brings it in. The LATERAL with
  // OFFSET 0 keeps the reference rows read through their rid index, one compartment member at a time:
  // without it the planner may hash-join a scan of the whole sp_reference table. The id set (the
  // compartment plus its references, a few thousand rows at most) is built once per page.
  const r = await q.query<{ rid: string; content: string }>(
    `WITH ids AS MATERIALIZED (
       SELECT c.rid FROM resource_compartment c WHERE c.patient = ${patient}
       UNION
       SELECT t.rid FROM resource_compartment c
        CROSS JOIN LATERAL (SELECT x.target_type, x.target_id FROM sp_reference x
                             WHERE x.rid = c.rid AND x.target_type = ANY(${add(outsideCompartment())}::text[]) OFFSET 0) x
         JOIN resource t ON t.type = x.target_type AND t.id = x.target_id
        WHERE c.patient = ${patient} AND t.patients = '{}'
     )
     SELECT r.rid::text AS rid, v.content
       FROM ids JOIN resource r ON r.rid = ids.rid
       JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
      WHERE ${w.join(' AND ')}
      ORDER BY r.rid LIMIT ${add(e.count + 1)}`,
    values,
  );
  const entries = r.rows;
  let next: string | undefined;
  if (entries.length > e.count) {
    entries.length = e.count;
    next = entries[entries.length - 1].rid;
  }
  return { entries, next };
}
