// The one write path: creates, updates and deletes of many resources in one database transaction, each
// with its new immutable version, its current pointer, its index rows and compartment membership.
import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { emptyBatch, extractIndex } from '../fhir/index/extract.js';
import { parseJson, stringifyJson } from '../fhir/json.js';
import { restrictionLabels } from '../fhir/security-labels.js';
import { SEALED_PREFIX } from '../fhir/ssn.js';
import type { Queryable } from '../platform/db/database.js';
import { conflict, preconditionFailed } from '../platform/errors.js';
import { boolArray, int4Array, int8Array, textArray } from './binary-arrays.js';
import { deleteCompartmentRows, deleteIndexRows, insertIndexRows } from './index-rows.js';
import type { ParamRegistry } from './param-registry.js';
import { setRestriction } from './restrictions.js';
import { textArrayLiteral } from './sql-literals.js';
import { type SsnSealer, useBlindIndex } from './ssn-sealing.js';

export type WriteOp =
  | { op: 'create'; resource: Resource }
  /** Update, or create with the client's id when absent (update-as-create). */
  | { op: 'update'; resource: Resource & { id: string }; ifMatch?: number; createOnly?: boolean }
  | { op: 'delete'; type: string; id: string; ifMatch?: number };

export interface WriteResult {
  type: string;
  id: string;
  version: number;
  lastUpdated: string;
  /** 201 created, 200 updated (or unchanged), 204 deleted / nothing to delete. */
  status: 200 | 201 | 204;
  /** The stored JSON; undefined for deletes. */
  content?: string;
  /** True when an update carried the same content as the current version, so no version was written. */
  unchanged?: boolean;
  /** Patients whose compartment held the resource before, and holds it now (for access checks). */
  oldPatients?: string[];
  newPatients?: string[];
  /** Restricting security labels the previous version carried and this one does not. */
  labelsRemoved?: string[];
}

interface Current {
  rid: string;
  type: string;
  id: string;
  version: number;
  deleted: boolean;
  patients: string[];
  /** Set when the resource carries (or, deleted, last carried) a restricting label: see migration 014. */
  restricted_to: string[] | null;
  content: string | null;
}

type Labelled = { meta?: { security?: { system?: string; code?: string }[] } };

/**
 * The restricting labels of the current version that `labels` (the new version's) lacks. A deleted
 * resource's last labels are not at hand: re-creating it without any label removes them.
 */
function removedLabels(cur: Current, labels: string[]): string[] {
  if (!cur.content) return labels.length ? [] : ['(the labels of its last version)'];
  return restrictionLabels(JSON.parse(cur.content) as Labelled).filter((l) => !labels.includes(l));
}

/** The resource without meta.versionId / meta.lastUpdated, for detecting updates that change nothing. */
function comparable(r: Resource): string {
  const { meta, ...rest } = r as Resource & { meta?: Record<string, unknown> };
  if (!meta) return stringifyJson(rest);
  const { versionId: _v, lastUpdated: _l, ...m } = meta;
  return stringifyJson(Object.keys(m).length ? { ...rest, meta: m } : rest);
}

/** Whether an update carries the current content; the stored SSNs are opened to compare them. */
function sameContent(ssn: SsnSealer, resource: Resource, stored: string): boolean {
  const current = parseJson(stored) as Resource;
  if (stored.includes(SEALED_PREFIX)) ssn.openInPlace(current);
  return comparable(resource) === comparable(current);
}

export async function applyWrites(
  tx: Queryable,
  params: ParamRegistry,
  ssn: SsnSealer,
  ops: WriteOp[],
  now = new Date().toISOString(),
): Promise<WriteResult[]> {
  // 1. Lock the current rows of everything updated or deleted.
  const keys = ops
    .filter((o) => o.op !== 'create')
    .map((o) => (o.op === 'delete' ? [o.type, o.id] : [o.resource.resourceType, o.resource.id]));
  const current = new Map<string, Current>();
  if (keys.length) {
    // Each key is looked up through the (type, id) index one by one (a subquery per key): as a join, a
    // database without statistics (PGlite, or PostgreSQL before ANALYZE) hashed the whole resource table
    // in every import transaction. Rows are locked in key order, so concurrent writers cannot deadlock.
    const r = await tx.query<Current>(
      `SELECT r.rid::text AS rid, r.type, r.id, r.version, r.deleted, r.patients, r.restricted_to, v.content
         FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
        WHERE r.rid = ANY (ARRAY(SELECT (SELECT k.rid FROM resource k WHERE k.type = u.type AND k.id = u.id)
                                   FROM unnest($1::text[], $2::text[]) u(type, id)))
        ORDER BY r.rid FOR UPDATE OF r`,
      [textArray(keys.map((k) => k[0])), textArray(keys.map((k) => k[1]))],
    );
    for (const row of r.rows) current.set(`${row.type}/${row.id}`, row);
  }
  // 2. New internal keys for the resources that do not exist yet.
  const needRid = ops.filter(
    (o) =>
      o.op === 'create' || (o.op === 'update' && !current.has(`${o.resource.resourceType}/${o.resource.id}`)),
  ).length;
  const rids: string[] = needRid
    ? (
        await tx.query<{ rid: string }>(
          "SELECT nextval('resource_rid_seq')::text AS rid FROM generate_series(1, $1)",
          [needRid],
        )
      ).rows.map((r) => r.rid)
    : [];

  const results: WriteResult[] = [];
  const versions = {
    rid: [] as string[],
    version: [] as number[],
    type: [] as string[],
    id: [] as string[],
    deleted: [] as boolean[],
    method: [] as string[],
    content: [] as (string | null)[],
  };
  const inserts = {
    rid: [] as string[],
    type: [] as string[],
    id: [] as string[],
    version: [] as number[],
    patients: [] as string[],
    restrictedTo: [] as (string | null)[],
  };
  const updates = {
    rid: [] as string[],
    version: [] as number[],
    deleted: [] as boolean[],
    patients: [] as string[],
    restrictedTo: [] as (string | null)[],
  };
  const reindex: Current[] = [];
  const batch = emptyBatch();
  const seen = new Set<string>();
  const restrictions: [string, string[]][] = [];

  for (const o of ops) {
    const type = o.op === 'delete' ? o.type : o.resource.resourceType;
    const id = o.op === 'create' ? randomUUID() : o.op === 'delete' ? o.id : o.resource.id;
    const key = `${type}/${id}`;
    if (seen.has(key)) throw conflict(`${key} is written twice in one transaction`);
    seen.add(key);
    const cur = current.get(key);
    const ifMatch = o.op === 'create' ? undefined : o.ifMatch;
    if (ifMatch !== undefined && (!cur || cur.version !== ifMatch)) {
      throw preconditionFailed(
        `${key}: If-Match version ${ifMatch} is not the current version (${cur ? cur.version : 'none'})`,
      );
    }
    if (o.op === 'delete') {
      if (!cur || cur.deleted) {
        results.push({ type, id, version: cur?.version ?? 0, lastUpdated: now, status: 204 });
        continue;
      }
      const version = cur.version + 1;
      versions.rid.push(cur.rid);
      versions.version.push(version);
      versions.type.push(type);
      versions.id.push(id);
      versions.deleted.push(true);
      versions.method.push('DELETE');
      versions.content.push(null);
      updates.rid.push(cur.rid);
      updates.version.push(version);
      updates.deleted.push(true);
      // The compartment of its last live version stays on the row (its index and compartment rows go),
      // so that its history stays hidden with a restricted patient's records.
      updates.patients.push(textArrayLiteral(cur.patients));
      // A deleted labelled resource stays hidden: its history holds the labelled versions.
      updates.restrictedTo.push(cur.restricted_to ? textArrayLiteral(cur.restricted_to) : null);
      reindex.push(cur);
      results.push({ type, id, version, lastUpdated: now, status: 204, oldPatients: cur.patients });
      // A deleted Patient keeps its restriction: its other records (and its own history) stay hidden.
      continue;
    }
    if (o.op === 'update' && o.createOnly && cur && !cur.deleted) throw conflict(`${key} already exists`);
    const resource = { ...o.resource, id } as Resource;
    if (o.op === 'update' && cur && !cur.deleted && cur.content && sameContent(ssn, resource, cur.content)) {
      const meta = JSON.parse(cur.content).meta;
      results.push({
        type,
        id,
        version: cur.version,
        lastUpdated: meta?.lastUpdated ?? now,
        status: 200,
        content: cur.content,
        unchanged: true,
      });
      continue;
    }
    const version = cur ? cur.version + 1 : 1;
    resource.meta = { ...(resource.meta ?? {}), versionId: String(version), lastUpdated: now };
    // SSNs are stored sealed, and indexed by their blind index (store/ssn-sealing.ts)
    const { content, sealed, blind } = ssn.sealDocument(resource);
    const rid = cur ? cur.rid : (rids.shift() as string);
    const firstToken = batch.token.code.length;
    const patients = extractIndex((sealed ?? resource) as Resource, rid, params.idOf, batch);
    if (blind) useBlindIndex(batch, firstToken, blind);
    const patientsLiteral = textArrayLiteral(patients);
    const labels = restrictionLabels(resource as Labelled);
    const restrictedTo = labels.length ? patientsLiteral : null;
    const labelsRemoved = cur?.restricted_to ? removedLabels(cur, labels) : [];
    versions.rid.push(rid);
    versions.version.push(version);
    versions.type.push(type);
    versions.id.push(id);
    versions.deleted.push(false);
    versions.method.push(cur ? 'PUT' : o.op === 'create' ? 'POST' : 'PUT');
    versions.content.push(content);
    if (cur) {
      updates.rid.push(rid);
      updates.version.push(version);
      updates.deleted.push(false);
      updates.patients.push(patientsLiteral);
      updates.restrictedTo.push(restrictedTo);
      reindex.push(cur);
    } else {
      inserts.rid.push(rid);
      inserts.type.push(type);
      inserts.id.push(id);
      inserts.version.push(version);
      inserts.patients.push(patientsLiteral);
      inserts.restrictedTo.push(restrictedTo);
    }
    results.push({
      type,
      id,
      version,
      lastUpdated: now,
      status: cur && !cur.deleted ? 200 : 201,
      content,
      oldPatients: cur?.patients ?? [],
      newPatients: patients,
      ...(labelsRemoved.length ? { labelsRemoved } : {}),
    });
    if (type === 'Patient') restrictions.push([id, labels]);
  }

  // 3. Write: versions, current rows, then the index rows (old ones removed first). The columns go as
  // binary arrays (binary-arrays.ts): the documents' UTF-8 bytes as they are, neither escaped into an array
  // literal nor into a JSON array for the database to parse again.
  if (versions.rid.length) {
    await tx.query(
      `INSERT INTO resource_version (rid, version, type, id, last_updated, deleted, method, content)
       SELECT u.rid, u.version, u.type, u.id, $8::timestamptz, u.deleted, u.method, u.content
         FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[])
              u(rid, version, type, id, deleted, method, content)`,
      [
        int8Array(versions.rid),
        int4Array(versions.version),
        textArray(versions.type),
        textArray(versions.id),
        boolArray(versions.deleted),
        textArray(versions.method),
        textArray(versions.content),
        now,
      ],
    );
  }
  if (inserts.rid.length) {
    await tx
      .query(
        `INSERT INTO resource (rid, type, id, version, last_updated, patients, restricted_to)
       SELECT u.rid, u.type, u.id, u.version, $6::timestamptz, u.patients::text[], u.restricted_to::text[]
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $7::text[])
              u(rid, type, id, version, patients, restricted_to)`,
        [
          int8Array(inserts.rid),
          textArray(inserts.type),
          textArray(inserts.id),
          int4Array(inserts.version),
          textArray(inserts.patients),
          now,
          textArray(inserts.restrictedTo),
        ],
      )
      .catch((err: { code?: string }) => {
        if (err.code === '23505')
          throw conflict('A resource with this id was created at the same time by another request; retry');
        throw err;
      });
  }
  if (updates.rid.length) {
    await tx.query(
      `UPDATE resource r SET version = u.version, deleted = u.deleted, patients = u.patients::text[],
              restricted_to = u.restricted_to::text[], last_updated = $5::timestamptz
         FROM unnest($1::bigint[], $2::int[], $3::boolean[], $4::text[], $6::text[])
              u(rid, version, deleted, patients, restricted_to)
        WHERE r.rid = u.rid`,
      [
        int8Array(updates.rid),
        int4Array(updates.version),
        boolArray(updates.deleted),
        textArray(updates.patients),
        now,
        textArray(updates.restrictedTo),
      ],
    );
    await deleteIndexRows(
      tx,
      reindex.map((c) => c.rid),
    );
    await deleteCompartmentRows(tx, reindex);
  }
  await insertIndexRows(tx, batch);
  for (const [patient, labels] of restrictions) await setRestriction(tx, patient, labels);
  return results;
}
