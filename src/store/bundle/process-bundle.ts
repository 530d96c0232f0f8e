// Transaction and batch Bundles: all-or-nothing transactions with urn:uuid and conditional reference
// rewriting, and batches whose entries succeed or fail one by one. Used by the REST API and the importer.
import { randomUUID } from 'node:crypto';
import type { Binary, Bundle, BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { patientCompartmentParams } from '../../fhir/definitions.js';
import { parseJson } from '../../fhir/json.js';
import { assertResourceShape, ID_RE, validateResource } from '../../fhir/validate/validate-resource.js';
import { badRequest, FhirError, issue, preconditionFailed } from '../../platform/errors.js';
import { patchResource } from '../interactions.js';
import type { Repository } from '../repository.js';
import type { WriteOp, WriteResult } from '../write.js';
import { isConditionalReference, visitReferences } from './references.js';

export interface BundleOptions {
  /** Import mode: keep the ids of POSTed resources (re-runs update, not duplicate) and match shared
   * resources (Organization, Practitioner, Location...) by identifier. */
  importMode?: boolean;
  /** Read handler for GET entries (the API supplies it; the importer does not). */
  get?: (repo: Repository, url: string) => Promise<{ status: number; resource?: object }>;
  /** Position of entry[0] in the whole Bundle, when a big one comes in chunks (error expressions count from it). */
  entryOffset?: number;
}

/** What an entry of a transaction does, worked out before anything is written (see planEntries). */
export interface Planned {
  index: number;
  method: string;
  type: string;
  id?: string;
  op?: WriteOp;
  /** Result of a conditional create that matched. */
  matched?: { id: string; version: number; lastUpdated: string };
  patch?: unknown;
  /** Warnings of the code check, returned in the entry's response.outcome. */
  warnings?: OperationOutcomeIssue[];
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function parseUrl(url: string, where: string): { type: string; id?: string; query?: string } {
  const clean = url.replace(/^\/+/, '');
  const q = clean.indexOf('?');
  const path = q >= 0 ? clean.slice(0, q) : clean;
  const query = q >= 0 ? clean.slice(q + 1) : undefined;
  const [type, id, ...rest] = path.split('/');
  if (!/^[A-Z][A-Za-z]+$/.test(type ?? '') || rest.length > 0 || (id !== undefined && !ID_RE.test(id))) {
    throw badRequest(`Unsupported request.url "${url}"`, where);
  }
  return { type, id, query };
}

export async function processBundle(
  repo: Repository,
  body: unknown,
  opts: BundleOptions = {},
): Promise<Bundle> {
  assertResourceShape(body);
  const bundle = body as Bundle;
  if (bundle.resourceType !== 'Bundle')
    throw badRequest(`Expected a Bundle, got ${bundle.resourceType}`, 'resourceType');
  if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
    throw badRequest(
      `Bundle.type must be "transaction" or "batch" to be processed, not "${bundle.type}"`,
      'Bundle.type',
    );
  }
  const entries = bundle.entry ?? [];
  const offset = opts.entryOffset ?? 0;
  if (bundle.type === 'transaction') {
    const results = await repo.transaction((tx) => processEntries(tx, entries, offset, opts));
    return { resourceType: 'Bundle', type: 'transaction-response', entry: results };
  }
  const out: BundleEntry[] = [];
  for (let i = 0; i < entries.length; i++) {
    try {
      const [r] = await repo.transaction((tx) => processEntries(tx, [entries[i]], offset + i, opts));
      out.push(r);
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      out.push({ response: { status: String(err.status), outcome: err.outcome } });
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: out };
}

async function processEntries(
  tx: Repository,
  entries: BundleEntry[],
  offset: number,
  opts: BundleOptions,
): Promise<BundleEntry[]> {
  const fullUrls = new Map<string, string>();
  const planned = await planEntries(tx, entries, offset, opts, fullUrls);
  return applyEntries(tx, entries, planned, offset, opts, fullUrls);
}

/**
 * Pass 1 of a transaction: works out what each entry does and which id it ends up with, and records
 * fullUrl -> Type/id in `fullUrls`. Writes nothing. `offset` is the position of entries[0] in the Bundle
 * (for the error expressions); `index` of the plans is the position in `entries`.
 */
export async function planEntries(
  tx: Repository,
  entries: BundleEntry[],
  offset: number,
  opts: BundleOptions,
  fullUrls: Map<string, string>,
): Promise<Planned[]> {
  const planned: Planned[] = [];
  const at = (i: number, rest = '') => `Bundle.entry[${i + offset}]${rest}`;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const method = e.request?.method;
    const url = e.request?.url;
    if (!method || !METHODS.has(method) || typeof url !== 'string') {
      throw badRequest(
        'Each entry needs request.method (GET, POST, PUT, PATCH or DELETE) and request.url',
        at(i, '.request'),
      );
    }
    const target = parseUrl(url, at(i, '.request.url'));
    const resource = e.resource as Resource | undefined;
    if ((method === 'POST' || method === 'PUT') && !resource)
      throw badRequest(`A ${method} entry needs a resource`, at(i, '.resource'));
    if (resource && (method === 'POST' || method === 'PUT') && resource.resourceType !== target.type) {
      throw badRequest(
        `The resource is a ${resource.resourceType} but request.url names ${target.type}`,
        at(i, '.resource.resourceType'),
      );
    }
    const p: Planned = { index: i, method, type: target.type, id: target.id };
    if (method === 'POST') {
      const ifNoneExist =
        e.request?.ifNoneExist ?? (opts.importMode ? identifierCondition(resource as Resource) : undefined);
      if (ifNoneExist) {
        const found = await tx.matchOrLock(target.type, ifNoneExist);
        if (found.length > 1)
          throw preconditionFailed(
            `${at(i)}: ifNoneExist "${ifNoneExist}" matches more than one ${target.type}`,
          );
        if (found.length === 1) {
          const meta = (found[0].resource.meta ?? {}) as { versionId?: string; lastUpdated?: string };
          p.id = found[0].id;
          p.matched = {
            id: found[0].id,
            version: Number(meta.versionId ?? 1),
            lastUpdated: meta.lastUpdated ?? '',
          };
        }
      }
      if (!p.matched)
        p.id = opts.importMode && resource?.id && ID_RE.test(resource.id) ? resource.id : randomUUID();
    } else if ((method === 'PUT' || method === 'DELETE') && target.query !== undefined) {
      const found = await tx.matchConditional(target.type, target.query);
      if (found.length > 1)
        throw preconditionFailed(
          `${at(i)}: the condition "${target.query}" matches more than one ${target.type}`,
        );
      p.id = found[0]?.id ?? (method === 'PUT' ? (resource?.id ?? randomUUID()) : undefined);
    } else if ((method === 'PUT' || method === 'DELETE' || method === 'PATCH') && !target.id) {
      throw badRequest(`A ${method} entry needs Type/id or Type?query in request.url`, at(i, '.request.url'));
    }
    if (e.fullUrl && p.id && (method === 'POST' || method === 'PUT'))
      fullUrls.set(e.fullUrl, `${target.type}/${p.id}`);
    planned.push(p);
  }
  return planned;
}

/**
 * Pass 2 of a transaction: rewrites references (fullUrls of the whole Bundle, conditional references),
 * validates every entry, then writes them at once; the response entries. `planned` are the plans of these
 * entries from planEntries (each used once: the write operations are set on them).
 */
export async function applyEntries(
  tx: Repository,
  entries: BundleEntry[],
  planned: Planned[],
  offset: number,
  opts: BundleOptions,
  fullUrls: ReadonlyMap<string, string>,
): Promise<BundleEntry[]> {
  const issues: OperationOutcomeIssue[] = [];
  let codeIssueCount = 0;
  const at = (i: number, rest = '') => `Bundle.entry[${i + offset}]${rest}`;
  const conditionalCache = new Map<string, string>();
  for (const p of planned) {
    const e = entries[p.index];
    if (p.method === 'PATCH') {
      p.patch = decodePatch(e.resource as Binary | undefined, at(p.index, '.resource'));
      continue;
    }
    if ((p.method !== 'POST' && p.method !== 'PUT') || p.matched) continue;
    // Rewritten in place: the caller hands over the parsed body (the importer retries with the same ids).
    const resource = e.resource as Resource;
    const conditionals: string[] = [];
    visitReferences(resource, (ref) => {
      const mapped = fullUrls.get(ref);
      if (mapped) return mapped;
      if (isConditionalReference(ref)) conditionals.push(ref);
      return undefined;
    });
    for (const ref of conditionals) {
      if (conditionalCache.has(ref)) continue;
      const [type, query] = [ref.slice(0, ref.indexOf('?')), ref.slice(ref.indexOf('?') + 1)];
      const found = await tx.matchConditional(type, query);
      if (found.length !== 1) {
        issues.push(
          issue(
            'not-found',
            `Conditional reference "${ref}" matches ${found.length === 0 ? 'no' : 'more than one'} ${type}`,
            at(p.index, '.resource'),
          ),
        );
        continue;
      }
      conditionalCache.set(ref, `${type}/${found[0].id}`);
    }
    if (conditionals.length) visitReferences(resource, (ref) => conditionalCache.get(ref));
    resource.id = p.id;
    const inEntry = (list: OperationOutcomeIssue[]) => issuesInEntry(list, resource, p.index + offset);
    try {
      validateResource(resource);
      const codeIssues = inEntry(await tx.checkCodes(resource));
      const codeErrors = codeIssues.filter((i) => i.severity === 'error');
      if (codeErrors.length) {
        issues.push(...codeErrors);
        codeIssueCount += codeErrors.length;
      }
      const warnings = codeIssues.filter((i) => i.severity !== 'error');
      if (warnings.length) p.warnings = warnings;
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      issues.push(...inEntry(err.outcome.issue));
    }
    const ifMatch = parseIfMatch(e.request?.ifMatch);
    p.op = { op: 'update', resource: resource as Resource & { id: string }, ifMatch };
  }
  // only codes unknown to the code sets: the bundle is well formed but not acceptable (422); else 400
  if (issues.length) throw new FhirError(codeIssueCount === issues.length ? 422 : 400, issues);
  for (const p of planned)
    if (p.method === 'DELETE' && p.id)
      p.op = {
        op: 'delete',
        type: p.type,
        id: p.id,
        ifMatch: parseIfMatch(entries[p.index].request?.ifMatch),
      };

  // FHIR order of processing: deletes, creates, updates; then patches and reads.
  const rank = { DELETE: 0, POST: 1, PUT: 2, PATCH: 3, GET: 4, HEAD: 4 } as Record<string, number>;
  const ordered = planned.filter((p) => p.op).sort((a, b) => rank[a.method] - rank[b.method]);
  const written = await tx.write(ordered.map((p) => p.op as WriteOp));
  const byIndex = new Map<number, WriteResult>();
  for (let k = 0; k < ordered.length; k++) byIndex.set(ordered[k].index, written[k]);

  const out: BundleEntry[] = [];
  for (const p of planned) {
    let entry: BundleEntry;
    if (p.matched) {
      entry = {
        response: {
          status: '200 OK',
          location: `${p.type}/${p.id}/_history/${p.matched.version}`,
          etag: `W/"${p.matched.version}"`,
        },
      };
    } else if (p.method === 'PATCH') {
      const r = await patchResource(
        tx,
        p.type,
        p.id as string,
        p.patch,
        parseIfMatch(entries[p.index].request?.ifMatch),
      );
      entry = responseEntry(r);
    } else if (p.method === 'GET' || p.method === 'HEAD') {
      if (!opts.get) throw badRequest('GET entries are not supported here', at(p.index, '.request'));
      const r = await opts.get(tx, entries[p.index].request?.url as string);
      entry = { resource: r.resource as Resource, response: { status: String(r.status) } };
    } else if (p.method === 'DELETE' && !p.id) {
      entry = { response: { status: '204 No Content' } };
    } else {
      entry = responseEntry(byIndex.get(p.index) as WriteResult);
    }
    if (p.method === 'POST' || p.method === 'PUT') entry.fullUrl = entries[p.index].fullUrl;
    if (p.warnings && entry.response)
      entry.response.outcome = { resourceType: 'OperationOutcome', issue: p.warnings };
    out.push(entry);
  }
  return out;
}

/** Issues about a resource, with their expressions pointing into the entry at `position` of the Bundle. */
export function issuesInEntry(
  list: OperationOutcomeIssue[],
  resource: Resource,
  position: number,
): OperationOutcomeIssue[] {
  return list.map((iss) => ({
    ...iss,
    expression: (iss.expression ?? [resource.resourceType]).map(
      (x) => `Bundle.entry[${position}].resource${x.slice(x.indexOf('.') < 0 ? x.length : x.indexOf('.'))}`,
    ),
  }));
}

export function responseEntry(r: WriteResult): BundleEntry {
  const status = r.status === 201 ? '201 Created' : r.status === 204 ? '204 No Content' : '200 OK';
  if (r.status === 204) return { response: { status } };
  return {
    response: {
      status,
      location: `${r.type}/${r.id}/_history/${r.version}`,
      etag: `W/"${r.version}"`,
      lastModified: r.lastUpdated,
    },
  };
}

function parseIfMatch(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(v.trim());
  if (!m) throw badRequest(`Invalid If-Match "${v}": expected W/"<versionId>"`, 'request.ifMatch');
  return Number(m[1]);
}

function decodePatch(binary: Binary | undefined, where: string): unknown {
  if (!binary?.data || binary.resourceType !== 'Binary') {
    throw badRequest(
      'A PATCH entry needs a Binary resource holding a JSON Patch (application/json-patch+json)',
      where,
    );
  }
  try {
    return parseJson(Buffer.from(binary.data, 'base64').toString('utf8'));
  } catch {
    throw badRequest('The Binary of a PATCH entry does not hold JSON', where);
  }
}

/** A type whose resources import mode matches on their identifier: outside any patient compartment. */
export function isSharedType(type: string): boolean {
  return type !== 'Patient' && patientCompartmentParams(type).length === 0;
}

/**
 * The import's memory of a shared resource's identifier (store/import/write-prepared.ts, ImportMemory),
 * lower-cased: a search by a key of another case is never skipped.
 */
export function identifierKey(type: string, system: string, value: string): string {
  return `${type}|${system}|${value}`.toLowerCase();
}

/**
 * Import mode: resources outside any patient compartment (Organization, Practitioner, Location...) that
 * carry an identifier are matched on it, so the copies Synthea puts in every patient bundle become one.
 */
export function identifierCondition(resource: Resource): string | undefined {
  if (!isSharedType(resource.resourceType)) return undefined;
  const ids = (resource as { identifier?: { system?: string; value?: string }[] }).identifier ?? [];
  const first = ids.find((i) => i.system && i.value);
  if (!first) return undefined;
  return `identifier=${encodeURIComponent(`${first.system}|${first.value}`)}`;
}
