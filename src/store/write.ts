// The one write path: creates, updates and deletes of many resources in one database transaction, each
// with its new immutable version, its current pointer, its index rows and compartment membership.
import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { emptyBatch, extractIndex } from '../fhir/index/extract.js';
import { parseJson, stringifyJson } from '../fhir/json.js';
import { restrictionLabels } from '../fhir/security-labels.js';
import type { Queryable } from '../platform/db/database.js';
import { conflict, preconditionFailed } from '../platform/errors.js';
import { deleteCompartmentRows, deleteIndexRows, insertIndexRows } from './index-rows.js';
import type { ParamRegistry } from './param-registry.js';
import { setRestriction } from './restrictions.js';
import { textArrayLiteral } from './sql-literals.js';

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
}

interface Current {
  rid: string;
  type: string;
  id: string;
  version: number;
  deleted: boolean;
  patients: string[];
  content: string | null;
}

/** The resource without meta.versionId / meta.lastUpdated, for detecting updates that change nothing. */
function comparable(r: Resource): string {
  const { meta, ...rest } = r as Resource & { meta?: Record<string, unknown> };
  if (!meta) return stringifyJson(rest);
  const { versionId: _v, lastUpdated: _l, ...m } = meta;
  return stringifyJson(Object.keys(m).length ? { ...rest, meta: m } : rest);
}

export async function applyWrites(
  tx: Queryable,
  params: ParamRegistry,
  ops: WriteOp[],
  now = new Date().toISOString(),
): Promise<WriteResult[]> {
  // 1. Lock the current rows of everything updated or deleted.
  const keys = ops
    .filter((o) => o.op !== 'create')
    .map((o) => (o.op === 'delete' ? [o.type, o.id] : [o.resource.resourceType, o.resource.id]));
  const current = new Map<string, Current>();
  if (keys.length) {
    const r = await tx.query<Current>(
      `SELECT r.rid::text AS rid, r.type, r.id, r.version, r.deleted, r.patients, v.content
         FROM resource r JOIN unnest($1::text[], $2::text[]) u(type, id) ON r.type = u.type AND r.id = u.id
         JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
        ORDER BY r.rid FOR UPDATE OF r`,
      [keys.map((k) => k[0]), keys.map((k) => k[1])],
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
  };
  const updates = {
    rid: [] as string[],
    version: [] as number[],
    deleted: [] as boolean[],
    patients: [] as string[],
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
      updates.patients.push('{}');
      reindex.push(cur);
      results.push({ type, id, version, lastUpdated: now, status: 204, oldPatients: cur.patients });
      if (type === 'Patient') restrictions.push([id, []]);
      continue;
    }
    if (o.op === 'update' && o.createOnly && cur && !cur.deleted) throw conflict(`${key} already exists`);
    const resource = { ...o.resource, id } as Resource;
    if (
      o.op === 'update' &&
      cur &&
      !cur.deleted &&
      cur.content &&
      comparable(resource) === comparable(parseJson(cur.content) as Resource)
    ) {
      const meta = (JSON.parse(cur.content) as Resource).meta;
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
    const content = stringifyJson(resource);
    const rid = cur ? cur.rid : (rids.shift() as string);
    const patients = extractIndex(resource, rid, params.idOf, batch);
    const patientsLiteral = textArrayLiteral(patients);
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
      reindex.push(cur);
    } else {
      inserts.rid.push(rid);
      inserts.type.push(type);
      inserts.id.push(id);
      inserts.version.push(version);
      inserts.patients.push(patientsLiteral);
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
    });
    if (type === 'Patient')
      restrictions.push([
        id,
        restrictionLabels(resource as { meta?: { security?: { system?: string; code?: string }[] } }),
      ]);
  }

  // 3. Write: versions, current rows, then the index rows (old ones removed first).
  if (versions.rid.length) {
    await tx.query(
      `INSERT INTO resource_version (rid, version, type, id, last_updated, deleted, method, content)
       SELECT u.rid, u.version, u.type, u.id, $8::timestamptz, u.deleted, u.method, c.content
         FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::boolean[], $6::text[]) WITH ORDINALITY
              u(rid, version, type, id, deleted, method, n)
         JOIN json_array_elements_text($7::json) WITH ORDINALITY c(content, n) USING (n)`,
      // The documents travel as one JSON array: JSON.stringify is native, while pg's text[] escaping of
      // kilobyte-long JSON strings costs more than the database's JSON parse.
      [
        versions.rid,
        versions.version,
        versions.type,
        versions.id,
        versions.deleted,
        versions.method,
        JSON.stringify(versions.content),
        now,
      ],
    );
  }
  if (inserts.rid.length) {
    await tx
      .query(
        `INSERT INTO resource (rid, type, id, version, last_updated, patients)
       SELECT u.rid, u.type, u.id, u.version, $6::timestamptz, u.patients::text[]
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[]) u(rid, type, id, version, patients)`,
        [inserts.rid, inserts.type, inserts.id, inserts.version, inserts.patients, now],
      )
      .catch((err: { code?: string }) => {
        if (err.code === '23505')
          throw conflict('A resource with this id was created at the same time by another request; retry');
        throw err;
      });
  }
  if (updates.rid.length) {
    await tx.query(
      `UPDATE resource r SET version = u.version, deleted = u.deleted, patients = u.patients::text[], last_updated = $5::timestamptz
         FROM unnest($1::bigint[], $2::int[], $3::boolean[], $4::text[]) u(rid, version, deleted, patients)
        WHERE r.rid = u.rid`,
      [updates.rid, updates.version, updates.deleted, updates.patients, now],
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
