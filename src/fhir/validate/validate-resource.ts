// Validates a resource against the official R4 StructureDefinitions (structure.ts: elements, datatypes,
// cardinality, required bindings, invariants) and reports failures as one FhirError whose issues carry
// `expression` paths to the failing elements.
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { badRequest, FhirError } from '../../platform/errors.js';
import { isKnownResourceType, loadDefinitions } from '../definitions.js';
import { structuralIssues } from './structure.js';

export const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

/** Checks the shape a request body must have before anything else looks at it. */
export function assertResourceShape(body: unknown, where = 'body'): asserts body is Resource {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`The ${where} must be a JSON object holding a FHIR resource`, where);
  }
  const type = (body as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string') throw badRequest(`The ${where} has no resourceType`, `${where}.resourceType`);
  if (!isKnownResourceType(type))
    throw badRequest(`Unknown resource type "${type}"`, `${where}.resourceType`);
}

/** Throws a 400 FhirError listing every error found; returns nothing when the resource is valid. */
export function validateResource(resource: Resource): OperationOutcomeIssue[] {
  loadDefinitions();
  assertResourceShape(resource);
  if (resource.id !== undefined && (typeof resource.id !== 'string' || !ID_RE.test(resource.id))) {
    throw badRequest(
      `Invalid id "${String(resource.id)}": 1-64 characters of A-Z, a-z, 0-9, '-' and '.'`,
      `${resource.resourceType}.id`,
    );
  }
  const issues = structuralIssues(resource as unknown as Record<string, unknown>);
  if (issues.length) throw new FhirError(400, issues);
  return [];
}
