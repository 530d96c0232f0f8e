// What `_summary=true` keeps of each resource type, worked out once per type from the official
// StructureDefinitions and reused for every resource: a tree of the JSON keys to keep at each level
// (summary or mandatory elements, modifier extensions), with choice elements spelled out per type.
import { type StructureElement, structureDefinitionElements } from './definitions.js';

/** How a kept element's value is kept: whole (primitives), by its own resource type, or by a plan. */
export type Keep = 'whole' | 'resource' | SummaryPlan;

/** One structure (resource, data type or backbone element): JSON key -> how to keep it; others go. */
export interface SummaryPlan {
  keep: Map<string, Keep>;
}

/** A resource type's top-level elements, for the modes that subset the top level only. */
export interface TopLevel {
  /** JSON key (valueQuantity, _birthDate) -> element name (value, birthDate). */
  names: Map<string, string>;
  /** Names of the mandatory (min >= 1) elements. */
  mandatory: Set<string>;
}

const plans = new Map<string, SummaryPlan>();
const tops = new Map<string, TopLevel>();

const isPrimitive = (code: string) => !/^[A-Z]/.test(code);
const capitalized = (code: string) => code[0].toUpperCase() + code.slice(1);

/** The `_summary=true` plan of a resource or data type; undefined for a type the definitions lack. */
export function summaryPlan(type: string): SummaryPlan | undefined {
  const known = plans.get(type);
  if (known) return known;
  const elements = structureDefinitionElements(type);
  if (!elements) return undefined;
  // Registered before it is filled: data types refer to each other (Identifier.assigner is a
  // Reference, Reference.identifier an Identifier), so the recursion meets it again.
  const plan: SummaryPlan = { keep: new Map([['resourceType', 'whole']]) };
  plans.set(type, plan);
  fillStructure(plan, type, elements);
  return plan;
}

function fillStructure(root: SummaryPlan, type: string, elements: StructureElement[]): void {
  const children = childrenByParent(elements);
  const backbones = new Map<string, SummaryPlan>([[type, root]]);
  const planAt = (path: string): SummaryPlan => {
    const known = backbones.get(path);
    if (known) return known;
    const plan: SummaryPlan = { keep: new Map() };
    backbones.set(path, plan);
    fill(plan, path);
    return plan;
  };
  const keepOf = (code: string, path: string): Keep => {
    if (isPrimitive(code)) return 'whole';
    if (code === 'Resource') return 'resource';
    if ((code === 'BackboneElement' || code === 'Element') && children.has(path)) return planAt(path);
    return summaryPlan(code) ?? 'whole';
  };
  const fill = (plan: SummaryPlan, path: string) => {
    for (const e of children.get(path) ?? []) {
      const name = e.path.slice(path.length + 1);
      const top = path === type;
      if (
        !(
          e.isSummary ||
          e.min > 0 ||
          name === 'modifierExtension' ||
          (top && (name === 'id' || name === 'meta'))
        )
      )
        continue;
      // Modifier extensions change the meaning of what holds them: kept whole, value and all.
      if ((top && name === 'meta') || name === 'modifierExtension') plan.keep.set(name, 'whole');
      else if (e.contentReference)
        plan.keep.set(name, planAt(e.contentReference.slice(e.contentReference.indexOf('#') + 1)));
      else
        for (const [key, code] of jsonKeys(name, e.types)) {
          plan.keep.set(key, keepOf(code, e.path));
          if (isPrimitive(code)) plan.keep.set(`_${key}`, 'whole');
        }
    }
  };
  fill(root, type);
}

/** The JSON keys an element is written under, with the type each stands for (value[x] -> valueQuantity). */
function jsonKeys(name: string, types: string[]): [string, string][] {
  if (!name.endsWith('[x]')) return [[name, types[0] ?? 'string']];
  const base = name.slice(0, -3);
  return types.map((t) => [base + capitalized(t), t]);
}

function childrenByParent(elements: StructureElement[]): Map<string, StructureElement[]> {
  const children = new Map<string, StructureElement[]>();
  for (const e of elements) {
    const dot = e.path.lastIndexOf('.');
    if (dot < 0) continue;
    const parent = e.path.slice(0, dot);
    const list = children.get(parent);
    if (list) list.push(e);
    else children.set(parent, [e]);
  }
  return children;
}

/** The top-level element names and mandatory elements of a resource type (for text and _elements). */
export function topLevel(type: string): TopLevel {
  const known = tops.get(type);
  if (known) return known;
  const top: TopLevel = { names: new Map(), mandatory: new Set() };
  for (const e of structureDefinitionElements(type) ?? []) {
    const name = e.path.slice(type.length + 1);
    if (!e.path.startsWith(`${type}.`) || name.includes('.')) continue;
    const base = name.replace(/\[x\]$/, '');
    if (e.min > 0) top.mandatory.add(base);
    for (const [key] of jsonKeys(name, e.types)) {
      top.names.set(key, base);
      top.names.set(`_${key}`, base);
    }
  }
  tops.set(type, top);
  return top;
}
