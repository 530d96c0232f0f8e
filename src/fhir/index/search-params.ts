// The search parameters of each resource type, compiled once into typed accessors (fast path) or
// HL7 fhirpath.js functions (fallback), ready for index extraction and for the search parser.
import type { SearchParameter } from '@medplum/fhirtypes';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { allSearchParameters, loadDefinitions, patientCompartmentParams } from '../definitions.js';
import {
  type Accessor,
  compilePart,
  compileSteps,
  parseSimplePath,
  splitUnion,
  type TypedValue,
} from './compile-path.js';
import { inferType } from './infer-type.js';

export type SearchParamType =
  | 'number'
  | 'date'
  | 'string'
  | 'token'
  | 'reference'
  | 'composite'
  | 'quantity'
  | 'uri'
  | 'special';

export interface CompiledParam {
  /** The key under which index rows are stored: the base the definition names (e.g. Resource, Observation). */
  base: string;
  code: string;
  type: SearchParamType;
  definition: SearchParameter;
  /** Evaluates the parameter's expression on a resource. */
  evaluate: (resource: object) => TypedValue[];
  /** Composite only: the components, evaluated relative to each value of `evaluate`. */
  components?: { code: string; type: SearchParamType; evaluate: (node: TypedValue) => TypedValue[] }[];
  /** True when the expression runs through fhirpath.js rather than the compiled walker. */
  fallback: boolean;
  /**
   * Set when the expression is the union of other parameters' expressions on the same resource type
   * (Observation's `combo-code` is `code | component-code`): the parameter has no index rows of its own,
   * its rows are theirs (`storedParams`).
   */
  rowsOf?: CompiledParam[];
  /** The union parts of the expression that apply to this resource type, normalized (see `unionRows`). */
  parts?: string[];
}

/** The parameters whose index rows answer for `p`: itself, or those it is the union of. */
export function storedParams(p: CompiledParam): CompiledParam[] {
  return p.rowsOf ?? [p];
}

const byType = new Map<string, CompiledParam[]>();
let definitionsByUrl: Map<string, SearchParameter> | undefined;

function fallbackEvaluator(expression: string, base: string): (resource: object) => TypedValue[] {
  const fn = fhirpath.compile({ expression, base } as unknown as string, r4Model);
  return (resource) => {
    let values: unknown[];
    try {
      values = fn(resource) as unknown[];
    } catch {
      return []; // an expression the library cannot evaluate on this content indexes nothing
    }
    const out: TypedValue[] = [];
    for (const v of values) {
      if (v === null || v === undefined) continue;
      out.push({ type: inferType(v), value: v });
    }
    return out;
  };
}

function compileExpression(
  expression: string,
  resourceType: string,
): { evaluate: (r: object) => TypedValue[]; fallback: boolean; parts?: string[] } | null {
  const parts = splitUnion(expression);
  const applied: string[] = [];
  const accessors: Accessor[] = [];
  let unsupported = false;
  let applies = false;
  for (const part of parts) {
    const acc = compilePart(part, resourceType);
    if (acc === null) continue;
    applies = true;
    applied.push(part.replace(/\s+/g, ''));
    if (acc === undefined) {
      unsupported = true;
      break;
    }
    accessors.push(acc);
  }
  if (!unsupported && !applies) {
    // No part names this type: e.g. `name | alias` written without a root. Let fhirpath.js decide.
    if (parts.every((p) => /^\(?[A-Z]/.test(p))) return null;
    unsupported = true;
  }
  if (unsupported) return { evaluate: fallbackEvaluator(expression, resourceType), fallback: true };
  return {
    fallback: false,
    parts: applied,
    evaluate: (resource) => {
      const root: TypedValue = { type: resourceType, value: resource };
      if (accessors.length === 1) return accessors[0](root);
      const out: TypedValue[] = [];
      for (const a of accessors) for (const v of a(root)) out.push(v);
      return out;
    },
  };
}

function definitionByUrl(url: string): SearchParameter | undefined {
  if (!definitionsByUrl) definitionsByUrl = new Map(allSearchParameters().map((p) => [p.url as string, p]));
  return definitionsByUrl.get(url);
}

/**
 * A component's expression (relative to the composite's value) compiled like a parameter's: each union part
 * to a typed walker; undefined when some part is beyond the walker.
 */
function compileComponent(expression: string, rootType: string): Accessor | undefined {
  const accessors: Accessor[] = [];
  for (const part of splitUnion(expression)) {
    const parsed = parseSimplePath(`X.${part.replace(/^\./, '')}`.replace('X.(', '('));
    const acc = parsed && compileSteps(parsed.steps, rootType);
    if (!acc) return undefined;
    accessors.push(acc);
  }
  if (accessors.length === 1) return accessors[0];
  return (node) => accessors.flatMap((a) => a(node));
}

/**
 * The components of a composite whose values (roots) are of `rootTypes`: each compiled for every root type
 * (combo-code-value-quantity's roots are the Observation and its components) and picked by the value's type.
 */
function compileComponents(sp: SearchParameter, rootTypes: string[]): CompiledParam['components'] {
  const out: NonNullable<CompiledParam['components']> = [];
  for (const c of sp.component ?? []) {
    const def = definitionByUrl(c.definition ?? '');
    // R4's code-value-date writes `value.as(DateTime)`, the FHIRPath system type, where FHIR's `dateTime` is
    // meant (as in its value-date parameter): read literally, no Observation.valueDateTime would be indexed.
    const expression = c.expression.replace(/\bas\(DateTime\)/g, 'as(dateTime)');
    const byRoot = new Map<string, (node: TypedValue) => TypedValue[]>();
    for (const rootType of rootTypes) {
      const compiled = compileComponent(expression, rootType);
      if (compiled) byRoot.set(rootType, compiled);
      else {
        const fn = fallbackEvaluator(expression, rootType);
        byRoot.set(rootType, (node) => fn(node.value as object));
      }
    }
    const only = byRoot.size === 1 ? [...byRoot.values()][0] : undefined;
    const evaluate = only ?? ((node: TypedValue) => byRoot.get(node.type)?.(node) ?? []);
    out.push({ code: def?.code ?? c.expression, type: (def?.type ?? 'token') as SearchParamType, evaluate });
  }
  return out;
}

/** Every search parameter that applies to a resource type (its own and those of Resource/DomainResource). */
export function paramsFor(resourceType: string): CompiledParam[] {
  const cached = byType.get(resourceType);
  if (cached) return cached;
  loadDefinitions();
  const out: CompiledParam[] = [];
  for (const sp of allSearchParameters()) {
    const bases = (sp.base ?? []) as string[];
    const base = bases.includes(resourceType)
      ? resourceType
      : bases.find((b) => b === 'Resource' || b === 'DomainResource');
    if (!base || !sp.expression) continue;
    const compiled = compileExpression(sp.expression, resourceType);
    if (!compiled) continue;
    const param: CompiledParam = {
      base: bases.length > 1 && base === resourceType ? resourceType : base,
      code: sp.code as string,
      type: sp.type as SearchParamType,
      definition: sp,
      evaluate: compiled.evaluate,
      fallback: compiled.fallback,
      parts: compiled.parts,
    };
    if (sp.type === 'composite') {
      // The composite's values: the resource itself, a repeating element (e.g. component), or both.
      const rootTypes = new Set<string>();
      for (const part of splitUnion(sp.expression)) {
        const parsed = parseSimplePath(part);
        if (parsed?.root !== resourceType && parsed?.root !== base) continue;
        for (const t of compileSteps(parsed.steps, resourceType)?.types ?? []) rootTypes.add(t);
      }
      param.components = compileComponents(sp, rootTypes.size ? [...rootTypes] : [resourceType]);
    }
    out.push(param);
  }
  unionRows(out, new Set(patientCompartmentParams(resourceType)));
  byType.set(resourceType, out);
  return out;
}

/** Parameter types whose rows a union may share; a reference's rows also decide compartment membership. */
const SHARED_ROW_TYPES = new Set(['token', 'quantity', 'composite', 'string', 'date', 'number', 'uri']);

/**
 * Marks each parameter whose applying union parts are exactly those of other parameters of the same type
 * (and, for composites, the same components) with `rowsOf`: the index rows of those others are its rows,
 * value for value (each part is evaluated alike wherever it appears). Observation's six `combo-*`
 * parameters were about an eighth of an import's index rows, each a copy of a row of `code`,
 * `component-code`, `value-quantity`... Compartment parameters keep their own rows.
 */
function unionRows(params: CompiledParam[], compartment: Set<string>): void {
  const key = (p: CompiledParam) =>
    `${p.type} ${(p.definition.component ?? [])
      .map((c) => `${definitionByUrl(c.definition ?? '')?.type}:${c.expression.replace(/\s+/g, '')}`)
      .join(',')}`;
  const eligible = params.filter(
    (p) => SHARED_ROW_TYPES.has(p.type) && !p.fallback && p.parts?.length && !compartment.has(p.code),
  );
  // fewest parts first, so that a union of unions resolves to the stored ones
  eligible.sort((a, b) => (a.parts?.length ?? 0) - (b.parts?.length ?? 0));
  for (const p of eligible) {
    const mine = new Set(p.parts);
    if (mine.size < 2 || mine.size !== p.parts?.length) continue;
    const pool = eligible
      .filter((q) => q !== p && key(q) === key(p) && (q.parts?.length ?? 0) < mine.size)
      .filter((q) => q.parts?.every((x) => mine.has(x)))
      .sort((a, b) => (b.parts?.length ?? 0) - (a.parts?.length ?? 0));
    const covered = new Set<string>();
    const chosen: CompiledParam[] = [];
    for (const q of pool) {
      if (q.parts?.some((x) => covered.has(x))) continue;
      for (const x of q.parts ?? []) covered.add(x);
      chosen.push(q);
    }
    if (covered.size === mine.size) p.rowsOf = chosen.flatMap(storedParams);
  }
}

export function findParam(resourceType: string, code: string): CompiledParam | undefined {
  return paramsFor(resourceType).find((p) => p.code === code);
}
