// The SQL the server runs for a search, and its query plan. `searchStatements` is the one place where the
// benchmark and the query-plan test reach into the store's search compiler: when its entry point changes,
// adjust this function only.
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../src/platform/crypto/secret-box.js';
import type { Queryable } from '../src/platform/db/database.js';
import type { ParamRegistry } from '../src/store/param-registry.js';
import { Repository } from '../src/store/repository.js';
import {
  compartmentFilter,
  compartmentMemberTypes,
  wholeCompartmentFilter,
} from '../src/store/search/compartment.js';
import { SsnSealer } from '../src/store/ssn-sealing.js';

export interface Statement {
  sql: string;
  values: unknown[];
}

/** Tables that grow with the data: a sequential scan on one of them is a missing index. */
export const BIG_TABLES = /^(resource|resource_version|resource_compartment|sp_\w+)$/;

/**
 * The statements the repository runs for a search path below the FHIR base, as the server's search
 * routes call it: type-level (`/Observation?code=...`), compartment (`/Patient/X/Observation?code=...`)
 * or a whole compartment (`/Patient/X/*?_lastUpdated=...`). `restricted` runs it as a user who is not exempt from
 * restrictions (most users), which adds the restricted-patient filter; otherwise as an administrator.
 * `db` is the database the registry asks whether token rows carry their patient (migration 019).
 */
export async function searchStatements(
  registry: ParamRegistry,
  path: string,
  opts: { restricted?: boolean; db?: Queryable } = {},
): Promise<Statement[]> {
  // Which index backfills are done is the database's to say: asked of it, not of the recorder below.
  if (opts.db) await registry.tokenPatientKeys(opts.db);
  const m = /^\/(?:([A-Za-z]+)\/([^/?]+)\/)?([A-Za-z]+|\*)\?(.*)$/.exec(path);
  if (!m) throw new Error(`not a search path: ${path}`);
  const [, compartment, id, type, query] = m;
  // `Patient/X/*`: every member type of the compartment, as the server's route searches it
  const whole = compartment !== undefined && type === '*';
  const seen: Statement[] = [];
  // The repository runs its queries on this recorder, which answers with no rows.
  const recorder: Queryable = {
    query: async <T>(sql: string, values: unknown[] = []) => {
      if (!/\bindex_backfill\b/.test(sql)) seen.push({ sql, values });
      return { rows: [] as T[], rowCount: 0 };
    },
  };
  // a throwaway key: SSN searches compile to a blind index of the same shape under any key
  const ssn = new SsnSealer(SecretBox.fromConfig(randomBytes(32).toString('hex'), ''));
  let repo = new Repository(recorder, registry, ssn);
  if (opts.restricted)
    repo = repo.withVisibility({ exempt: false, username: 'bench', allowed: async () => [] });
  await repo.search({
    type: whole ? compartmentMemberTypes(compartment) : [type],
    params: [...new URLSearchParams(query)],
    filters: whole
      ? [wholeCompartmentFilter(compartment, decodeURIComponent(id))]
      : compartment
        ? [compartmentFilter(compartment, decodeURIComponent(id), type)]
        : undefined,
  });
  return seen;
}

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
  [k: string]: unknown;
}

/** Every node of a JSON plan, depth first. */
export function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/**
 * `EXPLAIN (FORMAT JSON)` of a statement on one database session. With `indexesPreferred` the planner
 * avoids sequential scans whenever an index can serve (on small tables it would otherwise rightly pick them).
 */
export async function explainJson(
  session: Queryable,
  s: Statement,
  opts: { indexesPreferred?: boolean } = {},
): Promise<PlanNode> {
  if (opts.indexesPreferred) await session.query('SET enable_seqscan = off');
  try {
    const r = await session.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `EXPLAIN (FORMAT JSON) ${s.sql}`,
      s.values,
    );
    return r.rows[0]['QUERY PLAN'][0].Plan;
  } finally {
    if (opts.indexesPreferred) await session.query('RESET enable_seqscan');
  }
}

/** The sequential scans of big tables in a plan, as "Seq Scan on table". */
export function seqScansOnBigTables(plan: PlanNode): string[] {
  return planNodes(plan)
    .filter((n) => n['Node Type'] === 'Seq Scan' && BIG_TABLES.test(n['Relation Name'] ?? ''))
    .map((n) => `Seq Scan on ${n['Relation Name']}`);
}

/**
 * Index scans of big tables with no index condition: the whole index is read in its order (for
 * `ORDER BY ... LIMIT`), filtering every row; at scale as costly as a sequential scan unless the limit
 * is reached early.
 */
export function fullIndexScansOnBigTables(plan: PlanNode): string[] {
  return planNodes(plan)
    .filter(
      (n) =>
        (n['Node Type'] === 'Index Scan' || n['Node Type'] === 'Index Only Scan') &&
        BIG_TABLES.test(n['Relation Name'] ?? '') &&
        !n['Index Cond'],
    )
    .map((n) => `full Index Scan using ${n['Index Name']} on ${n['Relation Name']}`);
}
