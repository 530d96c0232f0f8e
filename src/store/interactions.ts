// The FHIR write interactions as domain functions: create (with If-None-Exist), update (with If-Match,
// update-as-create and conditional update), JSON Patch and delete (with conditional delete). Every
// write is validated first, and each runs in one transaction.
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { parseJson } from '../fhir/json.js';
import { validateResource } from '../fhir/validate/validate-resource.js';
import { badRequest, FhirError, issue, preconditionFailed } from '../platform/errors.js';
import { applyJsonPatch } from './apply-patch.js';
import type { Repository } from './repository.js';
import type { WriteResult } from './write.js';

export interface WriteOutcome extends WriteResult {
  /** For conditional create: an existing resource matched, nothing was written. */
  matched?: boolean;
  /** Warnings of the code check (a header code on a Condition, a display that is not the code's title). */
  warnings?: OperationOutcomeIssue[];
}

/**
 * The code check of a resource about to be written: a 422 listing every issue when one is an error,
 * else its warnings.
 */
export async function checkCodes(repo: Repository, resource: Resource): Promise<OperationOutcomeIssue[]> {
  const issues = await repo.checkCodes(resource);
  if (issues.some((i) => i.severity === 'error' || i.severity === 'fatal')) throw new FhirError(422, issues);
  return issues;
}

const withWarnings = <T extends WriteOutcome>(r: T, warnings: OperationOutcomeIssue[]): T =>
  warnings.length ? { ...r, warnings } : r;

export async function createResource(
  repo: Repository,
  resource: Resource,
  ifNoneExist?: string,
): Promise<WriteOutcome> {
  validateResource(resource);
  const warnings = await checkCodes(repo, resource);
  const out = await repo.transaction(async (tx): Promise<WriteOutcome> => {
    if (ifNoneExist) {
      const found = await tx.matchOrLock(resource.resourceType, ifNoneExist);
      if (found.length > 1)
        throw preconditionFailed(
          `If-None-Exist "${ifNoneExist}" matches more than one ${resource.resourceType}`,
        );
      if (found.length === 1) {
        const cur = await tx.read(resource.resourceType, found[0].id);
        return {
          type: cur.type,
          id: cur.id,
          version: cur.version,
          lastUpdated: cur.lastUpdated,
          status: 200,
          content: cur.content ?? undefined,
          matched: true,
        };
      }
    }
    const [r] = await tx.write([{ op: 'create', resource: { ...resource, id: undefined } as Resource }]);
    return r;
  });
  return out.matched ? out : withWarnings(out, warnings);
}

export async function updateResource(
  repo: Repository,
  type: string,
  id: string,
  resource: Resource,
  ifMatch?: number,
): Promise<WriteOutcome> {
  if (resource.resourceType !== type) {
    throw badRequest(`The body is a ${resource.resourceType} but the URL names ${type}`, 'resourceType');
  }
  if (resource.id === undefined)
    throw badRequest(`The body must carry the id "${id}" given in the URL`, `${type}.id`);
  if (resource.id !== id)
    throw badRequest(`The body's id "${resource.id}" does not match the URL's id "${id}"`, `${type}.id`);
  validateResource(resource);
  const warnings = await checkCodes(repo, resource);
  const [r] = await repo.write([{ op: 'update', resource: resource as Resource & { id: string }, ifMatch }]);
  return withWarnings(r, warnings);
}

/** PUT Type?query: update the single match, create when none matches, 412 when several do. */
export async function conditionalUpdate(
  repo: Repository,
  type: string,
  query: string,
  resource: Resource,
): Promise<WriteOutcome> {
  if (resource.resourceType !== type)
    throw badRequest(`The body is a ${resource.resourceType} but the URL names ${type}`, 'resourceType');
  validateResource(resource);
  const warnings = await checkCodes(repo, resource);
  const out = await repo.transaction(async (tx): Promise<WriteOutcome> => {
    await tx.lockKey(`${type}?${query}`);
    const found = await tx.matchConditional(type, query);
    if (found.length > 1) throw preconditionFailed(`The condition "${query}" matches more than one ${type}`);
    if (found.length === 1) {
      if (resource.id && resource.id !== found[0].id)
        throw badRequest(
          `The body's id "${resource.id}" is not the matched ${type}/${found[0].id}`,
          `${type}.id`,
        );
      const [r] = await tx.write([
        { op: 'update', resource: { ...resource, id: found[0].id } as Resource & { id: string } },
      ]);
      return r;
    }
    if (resource.id) {
      const [r] = await tx.write([{ op: 'update', resource: resource as Resource & { id: string } }]);
      return r;
    }
    const [r] = await tx.write([{ op: 'create', resource }]);
    return r;
  });
  return withWarnings(out, warnings);
}

export async function patchResource(
  repo: Repository,
  type: string,
  id: string,
  patch: unknown,
  ifMatch?: number,
): Promise<WriteOutcome> {
  if (!Array.isArray(patch)) throw badRequest('A JSON Patch body must be an array of operations (RFC 6902)');
  const invalid = fastJsonPatch.validate(patch as Operation[]);
  if (invalid)
    throw badRequest(
      `Invalid JSON Patch operation ${invalid.index}: ${invalid.message}`,
      `[${invalid.index}]`,
    );
  return repo.transaction(async (tx) => {
    const cur = await tx.read(type, id);
    if (ifMatch !== undefined && cur.version !== ifMatch)
      throw preconditionFailed(
        `${type}/${id}: If-Match version ${ifMatch} is not the current version (${cur.version})`,
      );
    // the patch applies to the resource as written, its SSNs opened (they are sealed again on write)
    const doc = parseJson(cur.content as string) as Resource;
    tx.ssn.openInPlace(doc);
    let patched: Resource;
    try {
      patched = applyJsonPatch(doc, patch as Operation[]) as Resource;
    } catch (err) {
      throw new FhirError(422, issue('processing', `The patch cannot be applied: ${(err as Error).message}`));
    }
    if (patched.resourceType !== type || patched.id !== id)
      throw badRequest('A patch must not change resourceType or id');
    validateResource(patched);
    const warnings = await checkCodes(tx, patched);
    const [r] = await tx.write([
      { op: 'update', resource: patched as Resource & { id: string }, ifMatch: cur.version },
    ]);
    return withWarnings(r, warnings);
  });
}

export async function deleteResource(
  repo: Repository,
  type: string,
  id: string,
  ifMatch?: number,
): Promise<WriteOutcome> {
  const [r] = await repo.write([{ op: 'delete', type, id, ifMatch }]);
  return r;
}

/** DELETE Type?query: deletes the single match (412 when several match, 204 when none does). */
export async function conditionalDelete(
  repo: Repository,
  type: string,
  query: string,
): Promise<WriteOutcome> {
  return repo.transaction(async (tx) => {
    const found = await tx.matchConditional(type, query);
    if (found.length > 1) throw preconditionFailed(`The condition "${query}" matches more than one ${type}`);
    if (found.length === 0)
      return { type, id: '', version: 0, lastUpdated: new Date().toISOString(), status: 204 };
    const [r] = await tx.write([{ op: 'delete', type, id: found[0].id }]);
    return r;
  });
}
