// The resource repository: reads, versioned writes (see write.ts), history and search, on one database
// connection or inside one transaction. All SQL of the record store lives under src/store.
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { patientCompartmentParams } from '../fhir/definitions.js';
import type { Database, Queryable } from '../platform/db/database.js';
import { forbidden, gone, notFound } from '../platform/errors.js';
import type { ImportMemory } from './import/import-memory.js';
import type { PreparedFile } from './import/prepare-file.js';
import { writePrepared } from './import/write-prepared.js';
import type { ParamRegistry } from './param-registry.js';
import { READ_COLUMNS, readBatcher } from './read-batch.js';
import { hiddenByLabel, restrictedAmong, type Visibility, visibleRecordSql } from './restrictions.js';
import { runSearch, type SearchPage, type SearchRequest } from './search/run-search.js';
import type { SsnSealer } from './ssn-sealing.js';
import { applyWrites, type WriteOp, type WriteResult } from './write.js';

export interface StoredVersion {
  type: string;
  id: string;
  version: number;
  lastUpdated: string;
  deleted: boolean;
  method: string;
  /** The resource as stored (JSON text), null for a delete. */
  content: string | null;
}

export interface HistoryQuery {
  type?: string;
  id?: string;
  since?: string;
  at?: string;
  count: number;
  /** Keyset cursor "lastUpdated|rid|version" from the previous page. */
  cursor?: string;
}

export type { SearchPage, SearchRequest } from './search/run-search.js';

/** Work done inside a write transaction just before it commits (the audit entry of the change). */
export type BeforeCommit = (tx: Queryable, written: WriteResult[]) => Promise<void>;

/**
 * Checks the coded elements of a resource about to be written against the code sets (set by the terminology
 * area): returns errors and warnings as OperationOutcome issues.
 */
export type CodeCheck = (resource: Resource) => Promise<OperationOutcomeIssue[]>;

export class Repository {
  /** Inside a transaction: what has been written so far, for the before-commit hook. */
  private readonly written: WriteResult[] = [];
  /** Whether the before-commit hook reads the stored JSON of the writes (kept in `written` until the commit). */
  private hookReadsContent = true;

  constructor(
    private readonly q: Queryable,
    readonly params: ParamRegistry,
    /** Seals SSNs on every write and opens them for the reads that need them (PATCH, update comparison). */
    readonly ssn: SsnSealer,
    private readonly db?: Database,
    private readonly beforeCommit?: BeforeCommit,
    private readonly visibility?: Visibility,
    /** Shared by every repository derived from this one (transactions, audited and visibility views). */
    private readonly checks: { codes?: CodeCheck } = {},
  ) {}

  /**
   * The same repository, whose transactions run `hook` before they commit. A hook that does not read the
   * writes' `content` says so (`content: false`): a transaction then keeps no document until its commit,
   * which an import of a big Bundle in one transaction needs.
   */
  withBeforeCommit(hook: BeforeCommit, opts: { content?: boolean } = {}): Repository {
    const repo = new Repository(this.q, this.params, this.ssn, this.db, hook, this.visibility, this.checks);
    repo.hookReadsContent = opts.content ?? true;
    return repo;
  }

  /** The same repository, seeing restricted patients only as `v` allows. */
  withVisibility(v: Visibility): Repository {
    const repo = new Repository(this.q, this.params, this.ssn, this.db, this.beforeCommit, v, this.checks);
    repo.hookReadsContent = this.hookReadsContent;
    return repo;
  }

  /** Sets the check of coded elements run on every create and update (here and in derived repositories). */
  setCodeCheck(check: CodeCheck | undefined): void {
    this.checks.codes = check;
  }

  /** Issues of the coded elements of a resource about to be written (none when no check is set). */
  async checkCodes(resource: Resource): Promise<OperationOutcomeIssue[]> {
    return this.checks.codes ? this.checks.codes(resource) : [];
  }

  /** Restricted patients this caller may see, or undefined when it sees all. */
  async visibleRestricted(): Promise<string[] | undefined> {
    if (!this.visibility || this.visibility.exempt) return undefined;
    return this.visibility.allowed(this.q);
  }

  /**
   * Refuses when any of these patients is restricted and not visible to the caller. `known` is the
   * restricted subset when the caller's query already fetched it (reads do, to save a round trip).
   */
  private async assertVisible(patients: string[], known?: string[]): Promise<void> {
    if (!this.visibility || this.visibility.exempt || patients.length === 0) return;
    const restricted = known ?? (await restrictedAmong(this.q, patients));
    if (restricted.length === 0) return;
    const allowed = new Set(await this.visibility.allowed(this.q));
    const hidden = restricted.filter((p) => !allowed.has(p));
    if (hidden.length) {
      throw forbidden(
        `The record of Patient/${hidden[0]} is restricted: it needs a care relationship, or break the glass (POST /break-the-glass with patient and reason)`,
      );
    }
  }

  /**
   * Whether a labelled resource (its `restricted_to`, migration 014) is hidden from this caller: it
   * needs access to all of its patients' restricted records, as a restricted patient's record would.
   */
  private async hiddenByLabel(restrictedTo: string[] | null): Promise<boolean> {
    if (!restrictedTo || !this.visibility || this.visibility.exempt) return false;
    return hiddenByLabel(restrictedTo, await this.visibility.allowed(this.q));
  }

  /** The patient whose compartment confines this caller for resources of `type`, if any. */
  private confinedTo(type?: string): string | undefined {
    const p = this.visibility?.patient;
    if (!p) return undefined;
    return type === undefined || inCompartment(type) ? p : undefined;
  }

  /** Refuses a resource outside the compartment of the patient the caller is confined to. */
  private assertInCompartment(type: string, id: string, patients: string[] | undefined): void {
    const p = this.confinedTo(type);
    if (p && !(patients ?? []).includes(p))
      throw forbidden(
        `The access token is limited to the record of Patient/${p}; ${type}/${id} is outside it`,
      );
  }

  /** Writes under patient/ scopes stay inside the patient's compartment, before and after. */
  private assertWritesConfined(results: WriteResult[]): void {
    const p = this.visibility?.patient;
    if (!p) return;
    for (const r of results) {
      if (!inCompartment(r.type))
        throw forbidden(
          `The access token is limited to the record of Patient/${p}; it cannot write ${r.type}`,
        );
      if ((r.oldPatients?.length ?? 0) > 0) this.assertInCompartment(r.type, r.id, r.oldPatients);
      if (r.status !== 204) this.assertInCompartment(r.type, r.id, r.newPatients);
    }
  }

  /** Runs fn with a repository bound to one database transaction (all or nothing). */
  async transaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    if (!this.db) return fn(this); // already inside a transaction
    return this.db.transaction(async (tx) => {
      const inner = new Repository(
        tx,
        this.params,
        this.ssn,
        undefined,
        undefined,
        this.visibility,
        this.checks,
      );
      inner.hookReadsContent = this.hookReadsContent && Boolean(this.beforeCommit);
      const out = await fn(inner);
      if (this.beforeCommit && inner.written.length) await this.beforeCommit(tx, inner.written);
      return out;
    });
  }

  async write(ops: WriteOp[]): Promise<WriteResult[]> {
    if (this.db) return this.transaction((repo) => repo.write(ops));
    // Changing a restricted chart needs the same right as reading it: checked on the charts as they
    // were before the change, and on the charts new records join (a Patient's own labels may change).
    // A labelled resource the caller may not see cannot be changed either (nor its label removed).
    if (this.visibility && !this.visibility.exempt) {
      const keys = ops
        .filter((o) => o.op !== 'create')
        .map((o) => (o.op === 'delete' ? [o.type, o.id] : [o.resource.resourceType, o.resource.id]));
      if (keys.length) {
        const before = await this.q.query<{
          type: string;
          id: string;
          patients: string[];
          restricted_to: string[] | null;
        }>(
          'SELECT r.type, r.id, r.patients, r.restricted_to FROM resource r JOIN unnest($1::text[], $2::text[]) u(type, id) ON r.type = u.type AND r.id = u.id',
          [keys.map((k) => k[0]), keys.map((k) => k[1])],
        );
        await this.assertVisible([...new Set(before.rows.flatMap((r) => r.patients))]);
        for (const r of before.rows)
          if (await this.hiddenByLabel(r.restricted_to))
            throw forbidden(
              `${r.type}/${r.id} is a restricted record: changing it needs a care relationship with its patient, or break the glass (POST /break-the-glass with patient and reason)`,
            );
      }
    }
    const results = await applyWrites(this.q, this.params, this.ssn, ops);
    this.assertWritesConfined(results);
    // Lowering a record's protection is for the roles that govern confidentiality (raising it is for
    // anyone who may write the record).
    if (this.visibility && !this.visibility.removeLabels) {
      const lowered = results.find((r) => r.labelsRemoved?.length);
      if (lowered)
        throw forbidden(
          `Removing a restricting security label (${lowered.labelsRemoved?.join(', ')}) from ${lowered.type}/${lowered.id} lowers its protection: it needs a role with labels:remove (HIM director, privacy officer, system integration, administrator)`,
        );
    }
    await this.assertVisible([
      ...new Set(results.filter((r) => r.type !== 'Patient').flatMap((r) => r.newPatients ?? [])),
    ]);
    for (const r of results) this.written.push(this.hookReadsContent ? r : { ...r, content: undefined });
    return results;
  }

  /**
   * Writes an import file prepared on a worker thread (import/prepare-file.ts) as new resources, inside a
   * transaction, except the positions in `matched`; undefined when one exists already (the caller rolls
   * back). `memory`: what the import's writer keeps across its files.
   */
  async writePrepared(
    file: PreparedFile,
    matched: ReadonlySet<number>,
    memory?: ImportMemory,
  ): Promise<WriteResult[] | undefined> {
    if (this.db || this.visibility || this.hookReadsContent)
      throw new Error('writePrepared runs inside an import transaction whose hook reads no documents');
    const results = await writePrepared(this.q, file, matched, memory);
    if (results) this.written.push(...results);
    return results;
  }

  async read(type: string, id: string): Promise<StoredVersion> {
    // outside a transaction, reads asked for together share one statement (read-batch.ts)
    const row =
      this.db && this.q === this.db
        ? await readBatcher<StoredVersion>(this.db).read(type, id)
        : (
            await this.q.query<StoredVersion>(
              `SELECT ${READ_COLUMNS}
                 FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
                WHERE r.type = $1 AND r.id = $2`,
              [type, id],
              { prepare: true },
            )
          ).rows[0];
    if (!row) throw notFound(`${type}/${id} is not known`);
    const access = row as StoredVersion & Access;
    await this.assertVisible(access.patients, access.restricted);
    // A labelled record the caller may not see answers as if it did not exist.
    if (await this.hiddenByLabel(access.restricted_to)) throw notFound(`${type}/${id} is not known`);
    this.assertInCompartment(type, id, access.patients);
    if (row.deleted) throw gone(`${type}/${id} was deleted (version ${row.version})`);
    return row;
  }

  async vread(type: string, id: string, version: number): Promise<StoredVersion> {
    const r = await this.q.query<StoredVersion>(
      `SELECT v.type, v.id, v.version, v.last_updated AS "lastUpdated", v.deleted, v.method, v.content, r.patients, r.restricted_to,
              ARRAY(SELECT rp.patient FROM restricted_patient rp WHERE rp.patient = ANY(r.patients)) AS restricted
         FROM resource r JOIN resource_version v ON v.rid = r.rid
        WHERE r.type = $1 AND r.id = $2 AND v.version = $3`,
      [type, id, version],
      { prepare: true },
    );
    const row = r.rows[0];
    if (!row) throw notFound(`${type}/${id} has no version ${version}`);
    const access = row as StoredVersion & Access;
    await this.assertVisible(access.patients, access.restricted);
    if (await this.hiddenByLabel(access.restricted_to))
      throw notFound(`${type}/${id} has no version ${version}`);
    this.assertInCompartment(type, id, access.patients);
    if (row.deleted) throw gone(`${type}/${id} version ${version} is a deletion`);
    return row;
  }

  /**
   * The current version number, or undefined when the resource never existed (or is a labelled record
   * the caller may not see).
   */
  async currentVersion(type: string, id: string): Promise<{ version: number; deleted: boolean } | undefined> {
    const r = await this.q.query<{ version: number; deleted: boolean; restricted_to: string[] | null }>(
      'SELECT version, deleted, restricted_to FROM resource WHERE type = $1 AND id = $2',
      [type, id],
    );
    const row = r.rows[0];
    if (!row || (await this.hiddenByLabel(row.restricted_to))) return undefined;
    return { version: row.version, deleted: row.deleted };
  }

  async history(h: HistoryQuery): Promise<{ versions: StoredVersion[]; next?: string; total?: number }> {
    const values: unknown[] = [];
    const add = (v: unknown) => {
      values.push(v);
      return `$${values.length}`;
    };
    const where: string[] = [];
    if (h.id && h.type)
      where.push(`v.rid = (SELECT rid FROM resource WHERE type = ${add(h.type)} AND id = ${add(h.id)})`);
    else if (h.type) where.push(`v.type = ${add(h.type)}`);
    const confined = this.confinedTo(h.type);
    if (confined)
      where.push(
        `EXISTS (SELECT 1 FROM resource cr WHERE cr.rid = v.rid AND ${add(confined)} = ANY(cr.patients))`,
      );
    if (h.since) where.push(`v.last_updated >= ${add(h.since)}::timestamptz`);
    if (h.at) where.push(`v.last_updated <= ${add(h.at)}::timestamptz`);
    const visible = await this.visibleRestricted();
    if (visible) {
      where.push(
        `NOT EXISTS (SELECT 1 FROM resource cr WHERE cr.rid = v.rid AND NOT (${visibleRecordSql('cr', `${add(visible)}::text[]`)}))`,
      );
    }
    if (h.cursor) {
      const [lu, rid, ver] = h.cursor.split('|');
      where.push(
        `(v.last_updated, v.rid, v.version) < (${add(lu)}::timestamptz, ${add(rid)}::bigint, ${add(Number(ver))}::int)`,
      );
    }
    const r = await this.q.query<StoredVersion & { rid: string }>(
      `SELECT v.rid::text AS rid, v.type, v.id, v.version, v.last_updated AS "lastUpdated", v.deleted, v.method, v.content
         FROM resource_version v ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY v.last_updated DESC, v.rid DESC, v.version DESC LIMIT ${add(h.count + 1)}`,
      values,
    );
    const rows = r.rows;
    let next: string | undefined;
    if (rows.length > h.count) {
      rows.length = h.count;
      const last = rows[rows.length - 1];
      next = `${new Date(last.lastUpdated).toISOString()}|${last.rid}|${last.version}`;
    }
    return { versions: rows, next };
  }

  async search(req: SearchRequest): Promise<SearchPage> {
    const p = this.visibility?.patient;
    const types = Array.isArray(req.type) ? req.type : [req.type];
    // SMART patient/ scopes: only the patient's compartment, for the matches and for what they include
    const filters =
      p && types.some(inCompartment)
        ? [...(req.filters ?? []), { kind: 'compartment' as const, patients: [p] }]
        : req.filters;
    const page = await runSearch(
      this.q,
      this.params,
      { ...req, filters, blindIndex: (v) => this.ssn.blindIndex(v) },
      await this.visibleRestricted(),
    );
    if (p && page.included.length) {
      page.included = page.included.filter((row) => {
        const type = /"resourceType":"([A-Za-z]+)"/.exec(row.content)?.[1] ?? '';
        return !inCompartment(type) || row.patients.includes(p);
      });
      page.patients = [...new Set([...page.entries, ...page.included].flatMap((e) => e.patients))];
    }
    return page;
  }

  /** Resolves a conditional query ("identifier=sys|val") to the matching resources of a type (at most 2). */
  async matchConditional(type: string, query: string): Promise<{ id: string; resource: Resource }[]> {
    const params = [...new URLSearchParams(query).entries()];
    const page = await this.search({ type, params, count: 2 });
    return page.entries.map((e) => {
      const resource = JSON.parse(e.content) as Resource;
      return { id: resource.id as string, resource };
    });
  }

  /** Serialises concurrent conditional writes on the same key until the transaction ends (PostgreSQL). */
  async lockKey(key: string): Promise<void> {
    await this.q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
  }

  /**
   * The matches of a conditional create's query. What exists already is matched without a lock; when
   * nothing matches, the key is locked until the transaction ends (a concurrent create of the same key
   * waits for it, or is waited for) and the query is asked again. So an import whose files share
   * Organizations and Practitioners locks each key only until the first file creates it, instead of
   * serialising every later file on it (each statement sees what committed before it began).
   */
  async matchOrLock(type: string, query: string): Promise<{ id: string; resource: Resource }[]> {
    const found = await this.matchConditional(type, query);
    if (found.length) return found;
    await this.lockKey(`${type}?${query}`);
    return this.matchConditional(type, query);
  }
}

/** What a read needs to know of the resource to decide whether the caller may see it. */
interface Access {
  patients: string[];
  restricted: string[];
  restricted_to: string[] | null;
}

/** Types that belong to the Patient compartment (Patient itself included). */
function inCompartment(type: string): boolean {
  return type === 'Patient' || patientCompartmentParams(type).length > 0;
}
