// Expands the value sets of *required* bindings from the official R4 definitions (valuesets.json, v2/v3
// code systems) when they can be enumerated; a value set defined by filters on an external terminology
// (UCUM, languages, MIME types...) cannot be expanded here and is not enforced (docs/architecture.md).
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { compactDir, publishedDir as defsDir } from '../definitions-compact.js';

export interface ValueSetExpansion {
  url: string;
  name: string;
  /** system -> codes */
  bySystem: Map<string, Set<string>>;
  all: Set<string>;
}

type Json = Record<string, unknown>;
let valueSets: Map<string, Json> | undefined;
let codeSystems: Map<string, Json> | undefined;
const expansions = new Map<string, ValueSetExpansion | null>();

function loadTerminologyDefinitions(): void {
  if (valueSets) return;
  valueSets = new Map();
  codeSystems = new Map();
  for (const file of ['valuesets.json', 'v3-codesystems.json', 'v2-tables.json']) {
    const bundle = JSON.parse(fs.readFileSync(path.join(defsDir, file), 'utf8')) as {
      entry?: { resource: Json }[];
    };
    for (const e of bundle.entry ?? []) {
      const r = e.resource;
      if (r.resourceType === 'ValueSet') valueSets.set(r.url as string, r);
      else if (r.resourceType === 'CodeSystem') codeSystems.set(r.url as string, r);
    }
  }
}

function conceptCodes(concepts: Json[] | undefined, out: Set<string>): void {
  for (const c of concepts ?? []) {
    out.add(c.code as string);
    conceptCodes(c.concept as Json[] | undefined, out);
  }
}

/** Enumerates a value set, or null when it cannot be enumerated from the shipped definitions. */
export function expandValueSet(canonical: string, depth = 0): ValueSetExpansion | null {
  const url = canonical.split('|')[0];
  loadPrecomputed();
  const cached = expansions.get(url);
  if (cached !== undefined) return cached;
  loadTerminologyDefinitions();
  const vs = valueSets?.get(url);
  let result: ValueSetExpansion | null = null;
  if (vs && depth < 5) {
    const compose = vs.compose as { include?: Json[]; exclude?: Json[] } | undefined;
    const bySystem = new Map<string, Set<string>>();
    let ok = Boolean(compose?.include?.length) && !compose?.exclude?.length;
    for (const inc of compose?.include ?? []) {
      if (!ok) break;
      if (inc.filter || !inc.system) {
        ok = false;
        break;
      }
      const system = inc.system as string;
      const codes = bySystem.get(system) ?? new Set<string>();
      if (inc.concept) for (const c of inc.concept as Json[]) codes.add(c.code as string);
      else {
        const cs = codeSystems?.get(system);
        if (!cs || (cs.content !== 'complete' && cs.content !== undefined)) {
          ok = false;
          break;
        }
        conceptCodes(cs.concept as Json[] | undefined, codes);
      }
      for (const imported of (inc.valueSet as string[] | undefined) ?? []) {
        const sub = expandValueSet(imported, depth + 1);
        if (!sub) ok = false;
        else
          for (const [sys, set] of sub.bySystem)
            for (const c of set) (bySystem.get(sys) ?? bySystem.set(sys, new Set()).get(sys))?.add(c);
      }
      bySystem.set(system, codes);
    }
    if (ok && bySystem.size) {
      const all = new Set<string>();
      for (const set of bySystem.values()) for (const c of set) all.add(c);
      result = { url, name: (vs.name as string) ?? url, bySystem, all };
    }
  }
  expansions.set(url, result);
  return result;
}

type StoredExpansion = { name: string; bySystem: Record<string, string[]> } | null;
let precomputedLoaded = false;

/** Loads the expansions the build wrote (dist/definitions/required-valuesets.json), if it did. */
function loadPrecomputed(): void {
  if (precomputedLoaded) return;
  precomputedLoaded = true;
  const file = path.join(compactDir, 'required-valuesets.json');
  if (!fs.existsSync(file)) return;
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, StoredExpansion>;
  for (const [url, e] of Object.entries(stored)) {
    if (!e) {
      expansions.set(url, null);
      continue;
    }
    const bySystem = new Map(Object.entries(e.bySystem).map(([s, codes]) => [s, new Set(codes)]));
    const all = new Set<string>();
    for (const set of bySystem.values()) for (const c of set) all.add(c);
    expansions.set(url, { url, name: e.name, bySystem, all });
  }
}

/** The value sets named by required bindings in StructureDefinition bundles. */
export function requiredValueSetUrls(bundles: Bundle[]): string[] {
  const urls = new Set<string>();
  for (const b of bundles)
    for (const e of b.entry ?? [])
      for (const el of (
        e.resource as { snapshot?: { element?: { binding?: { strength?: string; valueSet?: string } }[] } }
      ).snapshot?.element ?? [])
        if (el.binding?.strength === 'required' && el.binding.valueSet)
          urls.add(el.binding.valueSet.split('|')[0]);
  return [...urls].sort();
}

export function writeExpansions(file: string, urls: string[]): void {
  const out: Record<string, StoredExpansion> = {};
  for (const url of urls) {
    const e = expandValueSet(url);
    out[url] = e
      ? { name: e.name, bySystem: Object.fromEntries([...e.bySystem].map(([s, set]) => [s, [...set]])) }
      : null;
  }
  fs.writeFileSync(file, JSON.stringify(out));
}
