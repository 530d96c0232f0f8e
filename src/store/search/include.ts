// _include and _revinclude (with :iterate): the resources a page's matches point at, or that point at
// them, under the same authorization as the matches.
import { typeSchema } from '../../fhir/definitions.js';
import { splitUnion } from '../../fhir/index/compile-path.js';
import { type CompiledParam, findParam, paramsFor } from '../../fhir/index/search-params.js';
import type { Queryable } from '../../platform/db/database.js';
import type { ParamRegistry } from '../param-registry.js';
import { SqlParts, visibilitySql } from './conditions.js';
import type { IncludeSpec } from './parse.js';

export interface FoundRow {
  rid: string;
  content: string;
  patients: string[];
  type: string;
  id: string;
}

/** At most this many included resources per page (the Bundle says so when it stops). */
export const MAX_INCLUDED = 1000;
const MAX_ITERATIONS = 4;

export async function findIncludes(
  q: Queryable,
  registry: ParamRegistry,
  specs: IncludeSpec[],
  matches: FoundRow[],
  visibleRestricted: string[] | undefined,
  mayRead: (type: string) => boolean,
): Promise<FoundRow[]> {
  if (specs.length === 0 || matches.length === 0) return [];
  const seen = new Set(matches.map((m) => m.rid));
  const out: FoundRow[] = [];
  let frontier = matches;
  for (let round = 0; round < MAX_ITERATIONS && frontier.length && out.length < MAX_INCLUDED; round++) {
    const found: FoundRow[] = [];
    for (const spec of specs.filter((s) => round === 0 || s.iterate)) {
      const rows = spec.reverse
        ? await revIncluded(q, registry, spec, frontier, visibleRestricted)
        : [
            ...(await included(q, registry, spec, frontier, visibleRestricted)),
            ...(await includedByCanonical(
              q,
              registry,
              spec,
              frontier.filter((f) => spec.source === '*' || f.type === spec.source),
              visibleRestricted,
            )),
          ];
      for (const r of rows) {
        if (seen.has(r.rid) || !mayRead(r.type)) continue;
        seen.add(r.rid);
        found.push(r);
      }
    }
    out.push(...found);
    frontier = found;
  }
  return out.slice(0, MAX_INCLUDED);
}

function referenceParams(sourceTypes: string[], code: string): CompiledParam[] {
  const out = new Set<CompiledParam>();
  for (const t of sourceTypes) {
    const ps = code === '*' ? paramsFor(t).filter((p) => p.type === 'reference') : [findParam(t, code)];
    for (const p of ps) if (p && p.type === 'reference') out.add(p);
  }
  return [...out];
}

function paramIdsFor(registry: ParamRegistry, sourceTypes: string[], code: string): number[] {
  return [...new Set(referenceParams(sourceTypes, code).map((p) => registry.idOf(p)))];
}

/** True when some path of the parameter ends at a `canonical` element (`QuestionnaireResponse.questionnaire`). */
function pointsAtCanonical(p: CompiledParam): boolean {
  return splitUnion(p.definition.expression ?? '').some((part) => {
    const m = /^([A-Z][A-Za-z]+)\.([a-z][A-Za-z]*)$/.exec(part.trim());
    const element = m && typeSchema(m[1])?.elements[m[2]];
    return Boolean(element?.type?.some((t) => t.code === 'canonical'));
  });
}

/**
 * Included resources named by canonical URL (`_include=QuestionnaireResponse:questionnaire`): the
 * resources of the parameter's target types whose `url` is the reference (a `|version` suffix must match
 * their `version` when they have one).
 */
async function includedByCanonical(
  q: Queryable,
  registry: ParamRegistry,
  spec: IncludeSpec,
  sources: FoundRow[],
  visibleRestricted: string[] | undefined,
): Promise<FoundRow[]> {
  const params = referenceParams([...new Set(sources.map((s) => s.type))], spec.param).filter(
    pointsAtCanonical,
  );
  const targets = new Set(
    params
      .flatMap((p) => (p.definition.target ?? []) as string[])
      .filter((t) => !spec.target || t === spec.target),
  );
  const urlParams = [...targets].flatMap((t) => {
    const u = findParam(t, 'url');
    return u && u.type === 'uri' ? [registry.idOf(u)] : [];
  });
  if (params.length === 0 || urlParams.length === 0) return [];
  const sql = new SqlParts();
  const vis = visibilitySql({ sql, registry, valueSets: new Map(), visibleRestricted }, 't');
  const text = `${SELECT('t')}
    WHERE t.rid IN (SELECT u.rid FROM sp_reference x JOIN sp_uri u
        ON u.param = ANY(${sql.add(urlParams, 'int[]')}) AND u.value = split_part(x.target_id, '|', 1)
      WHERE x.rid = ANY(${sql.add(
        sources.map((s) => s.rid),
        'bigint[]',
      )}) AND x.param = ANY(${sql.add(
        params.map((p) => registry.idOf(p)),
        'int[]',
      )}) AND x.target_type IS NULL
        AND (position('|' in x.target_id) = 0
          OR coalesce((SELECT vt.code FROM sp_token vt WHERE vt.rid = u.rid AND vt.param = ANY(${sql.add(
            versionParams([...targets], registry),
            'int[]',
          )}) LIMIT 1), split_part(x.target_id, '|', 2)) = split_part(x.target_id, '|', 2)))
    AND t.type = ANY(${sql.add([...targets], 'text[]')}) AND NOT t.deleted${vis ? ` AND ${vis}` : ''}
    LIMIT ${MAX_INCLUDED + 1}`;
  return (await q.query<FoundRow>(text, sql.values)).rows;
}

function versionParams(types: string[], registry: ParamRegistry): number[] {
  return types.flatMap((t) => {
    const v = findParam(t, 'version');
    return v && v.type === 'token' ? [registry.idOf(v)] : [];
  });
}

const SELECT = (a: string) =>
  `SELECT ${a}.rid::text AS rid, v.content, ${a}.patients, ${a}.type, ${a}.id FROM resource ${a} JOIN resource_version v ON v.rid = ${a}.rid AND v.version = ${a}.version`;

async function included(
  q: Queryable,
  registry: ParamRegistry,
  spec: IncludeSpec,
  from: FoundRow[],
  visibleRestricted: string[] | undefined,
): Promise<FoundRow[]> {
  const sources = from.filter((f) => spec.source === '*' || f.type === spec.source);
  if (sources.length === 0) return [];
  const ids = paramIdsFor(registry, [...new Set(sources.map((s) => s.type))], spec.param);
  if (ids.length === 0) return [];
  const sql = new SqlParts();
  const vis = visibilitySql({ sql, registry, valueSets: new Map(), visibleRestricted }, 't');
  const text = `${SELECT('t')}
    WHERE (t.type, t.id) IN (SELECT x.target_type, x.target_id FROM sp_reference x
      WHERE x.rid = ANY(${sql.add(
        sources.map((s) => s.rid),
        'bigint[]',
      )}) AND x.param = ANY(${sql.add(ids, 'int[]')}) AND x.target_type IS NOT NULL)
    AND NOT t.deleted${spec.target ? ` AND t.type = ${sql.add(spec.target)}` : ''}${vis ? ` AND ${vis}` : ''}
    LIMIT ${MAX_INCLUDED + 1}`;
  return (await q.query<FoundRow>(text, sql.values)).rows;
}

async function revIncluded(
  q: Queryable,
  registry: ParamRegistry,
  spec: IncludeSpec,
  targets: FoundRow[],
  visibleRestricted: string[] | undefined,
): Promise<FoundRow[]> {
  const ids = paramIdsFor(registry, spec.source === '*' ? [] : [spec.source], spec.param);
  if (ids.length === 0) return [];
  const sql = new SqlParts();
  const vis = visibilitySql({ sql, registry, valueSets: new Map(), visibleRestricted }, 'h');
  const text = `${SELECT('h')}
    WHERE h.rid IN (SELECT x.rid FROM sp_reference x
      JOIN unnest(${sql.add(
        targets.map((t) => t.type),
        'text[]',
      )}, ${sql.add(
        targets.map((t) => t.id),
        'text[]',
      )}) u(type, id) ON x.target_type = u.type AND x.target_id = u.id
      WHERE x.param = ANY(${sql.add(ids, 'int[]')}))
    AND h.type = ${sql.add(spec.source)} AND NOT h.deleted${vis ? ` AND ${vis}` : ''}
    LIMIT ${MAX_INCLUDED + 1}`;
  return (await q.query<FoundRow>(text, sql.values)).rows;
}
