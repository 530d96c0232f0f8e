// The database-free half of importing a Bundle file, run on a worker thread of the embedded database's
// import pipeline (pipeline.ts): parse, plan ids, rewrite urn:uuid references, validate, check codes, seal
// SSNs, serialise and extract index rows, as processBundle and applyWrites would for a new resource.
// Anything it cannot decide without the database, or that processBundle would refuse, makes the whole
// file go through the one-thread path instead (`fallback`), so errors and odd files keep their old handling.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Bundle, BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { emptyBatch, extractIndex, type IndexBatch } from '../../fhir/index/extract.js';
import { parseJson } from '../../fhir/json.js';
import { restrictionLabels } from '../../fhir/security-labels.js';
import { assertResourceShape, ID_RE, validateResource } from '../../fhir/validate/validate-resource.js';
import { int4Array, textArray } from '../binary-arrays.js';
import {
  identifierCondition,
  identifierKey,
  isSharedType,
  issuesInEntry,
  parseUrl,
} from '../bundle/process-bundle.js';
import { isConditionalReference, visitReferences } from '../bundle/references.js';
import { type EncodedBatch, TABLES } from '../index-rows.js';
import type { ParamRegistry } from '../param-registry.js';
import type { Repository } from '../repository.js';
import { type SsnSealer, useBlindIndex } from '../ssn-sealing.js';
import { textSize } from './import-bundle-file.js';
import { asEntry, asTransaction } from './import-writes.js';
import type { ImportFile } from './read-files.js';

/** One resource of the file, ready to be written as version 1 of a new resource. */
export interface PreparedResource {
  /** Position in the Bundle (response entries and error expressions count from it). */
  index: number;
  type: string;
  id: string;
  fullUrl?: string;
  /** POST (ordered before PUT, as applyEntries does) or PUT. */
  method: 'POST' | 'PUT';
  /** Import mode's search for an existing copy (ifNoneExist, or the shared resource's identifier). */
  condition?: string;
  /** The condition is the search for the resource's own first identifier (so it finds it once written). */
  ownIdentifier?: boolean;
  /** Its stored JSON when it has a condition (else it is in PreparedFile.contents). */
  content?: string;
  /** Its index rows when it has a condition (else they are in PreparedFile.batch). */
  batch?: EncodedBatch;
  patients: string[];
  /** Restricting security labels (a Patient's are recorded in restricted_patient). */
  labels: string[];
  /** A shared resource's identifiers (identifierKey), which later files' conditions may name. */
  sharedKeys?: string[];
  warnings?: OperationOutcomeIssue[];
}

export interface PreparedFile {
  sha256: string;
  /** Why the file goes through the one-thread path (which then reads it again); the rest is then empty. */
  fallback?: string;
  /** meta.lastUpdated of every version of the file (the time it was prepared). */
  now: string;
  resources: PreparedResource[];
  /**
   * The stored JSON of the resources without a condition, in order, as a PostgreSQL text[] in binary form
   * (binary-arrays.ts): the embedded database copies the bytes, and its JavaScript need not measure the text.
   */
  contents: Uint8Array;
  /**
   * Their index rows, text and integer columns as binary arrays (binary-arrays.ts); the rid columns hold the
   * resource's position in the Bundle until written.
   */
  batch: EncodedBatch;
}

export interface PrepareContext {
  params: ParamRegistry;
  ssn: SsnSealer;
  /** For the code check (a repository without a database: only checkCodes is used). */
  repo: Repository;
  streamFrom: number;
}

class Fallback extends Error {}

/** The file's bytes (gunzipped when .gz) and the SHA-256 of the file as stored (the journal's key). */
function readFile(p: string): { text: string; sha256: string } {
  const raw = fs.readFileSync(p);
  const sha256 = createHash('sha256').update(raw).digest('hex');
  const bytes = /\.gz$/i.test(p) ? zlib.gunzipSync(raw) : raw;
  return { text: bytes.toString('utf8'), sha256 };
}

export async function prepareFile(ctx: PrepareContext, f: ImportFile): Promise<PreparedFile> {
  const now = new Date().toISOString();
  const empty = { now, resources: [], contents: new Uint8Array(), batch: encodeBatch(emptyBatch()) };
  const path = f.path;
  // NDJSON and big Bundles are read as streams by the one-thread path (which also reads their journal entry)
  if (f.kind !== 'bundle' || (await textSize(f)) >= ctx.streamFrom)
    return { ...empty, sha256: '', fallback: f.kind === 'bundle' ? 'streamed' : 'NDJSON' };
  const { text, sha256 } = readFile(path);
  try {
    return { sha256, ...(await prepareText(ctx, text, now)) };
  } catch (err) {
    // processBundle says what is wrong with the file (or does what this cannot): the one-thread path runs it
    return { ...empty, sha256, fallback: err instanceof Fallback ? err.message : (err as Error).message };
  }
}

/** The Bundle as importWholeBundle hands it to processBundle. */
function transactionEntries(parsed: unknown): BundleEntry[] {
  let bundle = parsed as Bundle;
  if (bundle?.resourceType !== 'Bundle') return [asEntry(parsed as Resource)];
  if (bundle.type === 'batch') throw new Fallback('batch Bundle');
  if (bundle.type !== 'transaction') bundle = asTransaction(bundle);
  assertResourceShape(bundle);
  return bundle.entry ?? [];
}

async function prepareText(
  ctx: PrepareContext,
  text: string,
  now: string,
): Promise<Omit<PreparedFile, 'sha256'>> {
  const entries = transactionEntries(parseJson(text));
  // Pass 1 (planEntries without the database): ids, and fullUrl -> Type/id. A resource that may match an
  // existing copy is assumed to keep its own id; the writer checks that, and the file falls back if not.
  const fullUrls = new Map<string, string>();
  const plans: {
    type: string;
    id: string;
    method: 'POST' | 'PUT';
    condition?: string;
    ownIdentifier?: boolean;
  }[] = [];
  const keys = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const method = e.request?.method;
    const resource = e.resource as Resource | undefined;
    if ((method !== 'POST' && method !== 'PUT') || typeof e.request?.url !== 'string' || !resource)
      throw new Fallback(`entry ${i}: not a plain create or update`);
    const target = parseUrl(e.request.url, `Bundle.entry[${i}].request.url`);
    if (resource.resourceType !== target.type || target.query !== undefined)
      throw new Fallback(`entry ${i}: conditional or mismatched request.url`);
    let id: string;
    let condition: string | undefined;
    let ownIdentifier = false;
    if (method === 'POST') {
      const own = identifierCondition(resource);
      condition = e.request.ifNoneExist ?? own;
      ownIdentifier = condition !== undefined && condition === own;
      id = resource.id && ID_RE.test(resource.id) ? resource.id : randomUUID();
    } else {
      if (!target.id) throw new Fallback(`entry ${i}: PUT without an id`);
      id = target.id;
    }
    const key = `${target.type}/${id}`;
    if (keys.has(key)) throw new Fallback(`${key} twice`);
    keys.add(key);
    if (e.fullUrl) fullUrls.set(e.fullUrl, key);
    plans.push({ type: target.type, id, method, condition, ownIdentifier });
  }
  // Pass 2 (applyEntries and applyWrites for a new resource): rewrite, validate, seal, index.
  const out: Omit<PreparedFile, 'sha256'> = {
    now,
    resources: [],
    contents: new Uint8Array(),
    batch: encodeBatch(emptyBatch()),
  };
  const rows = emptyBatch();
  const contents: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const plan = plans[i];
    const resource = entries[i].resource as Resource;
    visitReferences(resource, (ref) => {
      const mapped = fullUrls.get(ref);
      if (mapped) return mapped;
      if (isConditionalReference(ref)) throw new Fallback('conditional reference');
      return undefined;
    });
    resource.id = plan.id;
    validateResource(resource);
    const codeIssues = issuesInEntry(await ctx.repo.checkCodes(resource), resource, i);
    if (codeIssues.some((x) => x.severity === 'error')) throw new Fallback('code check');
    const stored = {
      ...resource,
      meta: { ...(resource.meta ?? {}), versionId: '1', lastUpdated: now },
    } as Resource;
    const { content, sealed, blind } = ctx.ssn.sealDocument(stored);
    const batch = plan.condition ? emptyBatch() : rows;
    const firstToken = batch.token.code.length;
    const patients = extractIndex((sealed ?? stored) as Resource, String(i), ctx.params.idOf, batch);
    if (blind) useBlindIndex(batch, firstToken, blind);
    const prepared: PreparedResource = {
      index: i,
      type: plan.type,
      id: plan.id,
      fullUrl: entries[i].fullUrl,
      method: plan.method,
      patients,
      labels: restrictionLabels(stored as { meta?: { security?: { system?: string; code?: string }[] } }),
    };
    if (codeIssues.length) prepared.warnings = codeIssues;
    if (isSharedType(plan.type)) {
      const ids = (resource as { identifier?: { system?: unknown; value?: unknown }[] }).identifier ?? [];
      prepared.sharedKeys = ids.map((x) =>
        identifierKey(plan.type, String(x.system ?? ''), String(x.value ?? '')),
      );
    }
    if (plan.condition)
      Object.assign(prepared, {
        condition: plan.condition,
        ownIdentifier: plan.ownIdentifier,
        content,
        batch: encodeBatch(batch),
      });
    else contents.push(content);
    out.resources.push(prepared);
  }
  // a text[] in binary (its own ArrayBuffer, handed to the main thread without a copy): the engine copies
  // each document's bytes, where a JSON array of them had to be parsed and unescaped (a third slower)
  out.contents = textArray(contents);
  out.batch = encodeBatch(rows);
  return out;
}

/**
 * The text and int columns of a batch as binary arrays; the rid (bigint) and other columns as they are, and
 * sp_text's texts as strings (the import's writer looks them up: import/text-vectors.ts).
 */
function encodeBatch(b: IndexBatch): EncodedBatch {
  const out = {} as EncodedBatch;
  for (const { key, types } of TABLES) {
    const cols: Record<string, unknown[] | Uint8Array> = {};
    for (const [k, [name, values]] of Object.entries(b[key]).entries())
      cols[name] =
        types[k] === 'text' && key !== 'text'
          ? textArray(values as (string | null)[])
          : types[k] === 'int'
            ? int4Array(values as number[])
            : (values as unknown[]);
    out[key] = cols;
  }
  return out;
}
