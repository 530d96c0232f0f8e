// A structural validator compiled from the official R4 StructureDefinitions: allowed elements, datatypes
// and primitive formats (the R4 regular expressions), cardinality, choice types, required bindings and
// invariants (ele-1 and ext-1 natively, the others through HL7's fhirpath.js). Why not only Medplum's
// validator: it costs ~200 µs per resource (7 s of a 37,000-resource import) against ~20 µs here;
// test/fhir/validate.test.ts keeps the two in agreement on the official examples and the Synthea corpus.
import { getDataType, type InternalSchemaElement } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { isKnownResourceType } from '../definitions.js';
import { dateRange } from '../index/values.js';
import { expandValueSet, type ValueSetExpansion } from './required-bindings.js';

type Json = Record<string, unknown>;
type Issues = OperationOutcomeIssue[];

interface Constraint {
  key: string;
  human: string;
  expression: string;
  /** The element path the expression is written against (gives fhirpath.js the types of choices). */
  base: string;
  fn?: (node: unknown, env: Json) => unknown[];
}

interface PropRule {
  prop: string;
  type: string;
  /** `_prop`, the property of a primitive's id and extensions. */
  ext: string;
}

interface ElementRule {
  name: string;
  /** Its position in its type's `elements`: issues come in that order. */
  index: number;
  /** JSON property names and their types (several for a choice element). */
  props: PropRule[];
  min: number;
  max: number;
  array: boolean;
  binding?: ValueSetExpansion;
  constraints: Constraint[];
  /** The validateComplex call that last saw one of its properties, and where it noted it (see there). */
  stamp: number;
  slot: number;
}

/** A JSON property of a type: the element and type it stands for, or `_prop` of that type. */
interface KeyRule {
  el: ElementRule;
  /** The position of the property's type in el.props. */
  prop: number;
  /** The key is `_prop` (for a complex type: not allowed, but it still counts as the element's presence). */
  ext: boolean;
}

interface TypeRule {
  elements: ElementRule[];
  /** Every JSON property the type allows, with the rule it belongs to. */
  allowed: Map<string, KeyRule | 'resourceType'>;
  /** `_prop` of its complex-typed properties: not allowed, yet an element counts as present with one. */
  complexExt: Map<string, KeyRule>;
  /** The elements with min > 0. */
  required: ElementRule[];
  constraints: Constraint[];
}

const NATIVE = new Set([
  'ele-1',
  'ext-1',
  'ref-1',
  'per-1',
  'txt-1',
  'txt-2',
  'qty-3',
  'obs-6',
  'obs-7',
  'dom-2',
  'dom-3',
  'dom-4',
  'dom-5',
]);
const rules = new Map<string, TypeRule | null>();

// R4 primitive formats (https://hl7.org/fhir/R4/datatypes.html).
const DATE =
  /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$/;
const DATETIME =
  /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/;
const INSTANT =
  /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/;
const TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?$/;
const CODE = /^[^\s]+( [^\s]+)*$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const OID = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64 = /^(\s*([0-9a-zA-Z+/=]){4}\s*)+$/;
const NON_BLANK = /\S/;
const NO_SPACE = /^\S*$/;

/** Returns the problem with a primitive value, or undefined when it is valid. */
function primitiveProblem(type: string, v: unknown): string | undefined {
  switch (type) {
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'Invalid JSON type: expected boolean';
    case 'integer':
      return Number.isInteger(v) && (v as number) >= -2147483648 && (v as number) <= 2147483647
        ? undefined
        : 'Invalid integer';
    case 'positiveInt':
      return Number.isInteger(v) && (v as number) > 0 && (v as number) <= 2147483647
        ? undefined
        : 'Invalid positiveInt';
    case 'unsignedInt':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2147483647
        ? undefined
        : 'Invalid unsignedInt';
    case 'decimal':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : 'Invalid JSON type: expected number';
  }
  if (typeof v !== 'string') return 'Invalid JSON type: expected string';
  switch (type) {
    case 'code':
      return CODE.test(v) ? undefined : 'Invalid code format';
    case 'id':
      return ID.test(v) ? undefined : 'Invalid id format';
    case 'date':
      return DATE.test(v) ? undefined : 'Invalid date format';
    case 'dateTime':
      return DATETIME.test(v) ? undefined : 'Invalid dateTime format';
    case 'instant':
      return INSTANT.test(v) ? undefined : 'Invalid instant format';
    case 'time':
      return TIME.test(v) ? undefined : 'Invalid time format';
    case 'oid':
      return OID.test(v) ? undefined : 'Invalid oid format';
    case 'uuid':
      return UUID.test(v) ? undefined : 'Invalid uuid format';
    case 'uri':
    case 'url':
    case 'canonical':
      return NO_SPACE.test(v) && v.length > 0 ? undefined : `Invalid ${type} format`;
    case 'base64Binary':
      return BASE64.test(v) ? undefined : 'Invalid base64Binary format';
    case 'xhtml':
      return /^\s*<div[\s>]/.test(v) ? undefined : 'Narrative div must be an XHTML <div>';
    default:
      return NON_BLANK.test(v)
        ? v.length > 1048576 && type !== 'markdown'
          ? 'String cannot be larger than 1 MB'
          : undefined
        : 'String must contain non-whitespace content';
  }
}

/** FHIR's primitive types are the ones whose name starts lower-case (a character test, not a regex: it runs per value). */
const isPrimitive = (t: string) => {
  const c = t.charCodeAt(0);
  return c >= 97 && c <= 122;
};
const normaliseType = (t: string) => (t.startsWith('http://hl7.org/fhirpath/System.') ? 'string' : t);

function compileConstraints(
  list: { key: string; severity: string; expression: string; description?: string }[] | undefined,
  base: string,
): Constraint[] {
  const out: Constraint[] = [];
  for (const c of list ?? []) {
    if (c.severity !== 'error' || NATIVE.has(c.key) || !c.expression) continue;
    // R4 writes `is Boolean` (the FHIRPath system type) in que-7 where the FHIR `boolean` is meant.
    const expression = c.expression.replace(/ is Boolean\b/g, ' is boolean');
    out.push({ key: c.key, human: c.description ?? c.key, expression, base });
  }
  return out;
}

function ruleFor(type: string): TypeRule | null {
  const cached = rules.get(type);
  if (cached !== undefined) return cached;
  let schema: ReturnType<typeof getDataType>;
  try {
    schema = getDataType(type);
  } catch {
    rules.set(type, null);
    return null;
  }
  // Inner (backbone) types are named like QuestionnaireItemEnableWhen; fhirpath.js needs their element path.
  const firstPath = (Object.values(schema.elements)[0] as InternalSchemaElement | undefined)?.path;
  const basePath = firstPath ? firstPath.slice(0, firstPath.lastIndexOf('.')) : type;
  const rule: TypeRule = {
    elements: [],
    allowed: new Map(),
    complexExt: new Map(),
    required: [],
    constraints: compileConstraints(schema.constraints, basePath),
  };
  rules.set(type, rule);
  if (isKnownResourceType(type)) rule.allowed.set('resourceType', 'resourceType');
  for (const [key, el] of Object.entries(schema.elements) as [string, InternalSchemaElement][]) {
    const choice = key.endsWith('[x]');
    const name = choice ? key.slice(0, -3) : key;
    const props = (el.type ?? []).map((t) => {
      const code = normaliseType(t.code);
      const prop = choice ? name + code.charAt(0).toUpperCase() + code.slice(1) : name;
      return { prop, type: code, ext: `_${prop}` };
    });
    const binding =
      el.binding?.strength === 'required' && el.binding.valueSet
        ? (expandValueSet(el.binding.valueSet) ?? undefined)
        : undefined;
    const er: ElementRule = {
      name,
      index: rule.elements.length,
      props,
      min: el.min ?? 0,
      max:
        el.max === undefined || el.max === null || el.max === Number.POSITIVE_INFINITY
          ? Number.POSITIVE_INFINITY
          : Number(el.max),
      array: Boolean(el.isArray),
      binding,
      constraints: compileConstraints(el.constraints, el.path),
      stamp: 0,
      slot: 0,
    };
    rule.elements.push(er);
    if (er.min > 0) rule.required.push(er);
    props.forEach((p, k) => {
      claim(rule.allowed, p.prop, { el: er, prop: k, ext: false });
      claim(isPrimitive(p.type) ? rule.allowed : rule.complexExt, p.ext, { el: er, prop: k, ext: true });
    });
  }
  return rule;
}

/** One property, one element: validateComplex finds an element by its present properties only. */
function claim<T>(map: Map<string, T>, key: string, value: T): void {
  if (map.has(key)) throw new Error(`${key} belongs to two elements of one type`);
  map.set(key, value);
}

function runConstraint(c: Constraint, node: unknown, path: string, root: Json, issues: Issues): void {
  c.fn ??= (() => {
    const compiled = fhirpath.compile(
      { base: c.base, expression: c.expression } as unknown as string,
      r4Model,
      { traceFn: () => undefined },
    );
    return (n: unknown, env: Json) => compiled(n as object, env) as unknown[];
  })();
  let out: unknown[];
  try {
    out = c.fn(node, { resource: root, rootResource: root });
  } catch {
    return; // an expression fhirpath.js cannot evaluate here is not held against the data
  }
  if (out.length === 1 && out[0] === false) {
    issues.push({
      severity: 'error',
      code: 'invariant',
      details: { text: `Constraint ${c.key} not met: ${c.human}` },
      expression: [path],
      diagnostics: `Constraint ${c.key} not met: ${c.human} at ${path}`,
    });
  }
}

function problem(
  issues: Issues,
  code: 'structure' | 'required' | 'value' | 'code-invalid',
  text: string,
  path: string,
): void {
  issues.push({
    severity: 'error',
    code,
    details: { text },
    expression: [path],
    diagnostics: `${text} at ${path}`,
  });
}

function checkBinding(b: ValueSetExpansion, type: string, v: unknown, path: string, issues: Issues): void {
  const bad = (what: string) =>
    issues.push({
      severity: 'error',
      code: 'code-invalid',
      diagnostics: `${what} is not in the required value set ${b.name} (${b.url}) at ${path}`,
      expression: [path],
    });
  if (isPrimitive(type)) {
    if (typeof v === 'string' && !b.all.has(v)) bad(`The code "${v}"`);
    return;
  }
  const codings =
    type === 'Coding'
      ? [v as Json]
      : type === 'CodeableConcept'
        ? (((v as Json).coding as Json[] | undefined) ?? [])
        : [];
  for (const c of codings) {
    if (typeof c !== 'object' || c === null) continue; // a null or non-object entry has its own issue
    const set = b.bySystem.get(c.system as string);
    if (set && typeof c.code === 'string' && !set.has(c.code)) bad(`The code "${c.system}|${c.code}"`);
  }
}

/** Stamps validateComplex calls, so that a call can tell the elements it has seen without a set of its own. */
let calls = 0;
// The low byte of an entry of validateComplex's `present`: the position of the element's type in its props,
// or one of these.
const SEVERAL = 253;
const MISSING = 254;

/** Notes that key `k` of the node is present (`present` holds element index << 8 | which of its types). */
function notePresent(present: number[], k: KeyRule, stamp: number): void {
  const el = k.el;
  if (el.stamp !== stamp) {
    el.stamp = stamp;
    el.slot = present.length;
    present.push((el.index << 8) | k.prop);
  } else if ((present[el.slot] & 255) !== k.prop) present[el.slot] = (el.index << 8) | SEVERAL;
}

/** The first of a choice's types present, after an issue for each other one present. */
function firstOfSeveral(el: ElementRule, obj: Json, path: string, issues: Issues): PropRule {
  let found: PropRule | undefined;
  for (const p of el.props) {
    if (obj[p.prop] === undefined && obj[p.ext] === undefined) continue;
    if (found)
      problem(
        issues,
        'structure',
        `Only one of ${el.props.map((x) => x.prop).join(', ')} may be present`,
        `${path}.${p.prop}`,
      );
    else found = p;
  }
  return found as PropRule;
}

function validateComplex(type: string, node: unknown, path: string, root: Json, issues: Issues): void {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    problem(issues, 'structure', `Invalid JSON type: expected an object (${type})`, path);
    return;
  }
  const rule = ruleFor(type);
  if (!rule) {
    problem(issues, 'structure', `Unknown type ${type}`, path);
    return;
  }
  const obj = node as Json;
  // The node's own keys decide which elements are present (a choice has dozens of types, a type dozens of
  // elements: looking each up cost more than the rest of the validation). The stamps and slots this writes
  // on the type's shared element rules are read only in this loop, before any recursion.
  const stamp = ++calls;
  const present: number[] = [];
  let children = 0;
  let extensionValue = false;
  for (const key of Object.keys(obj)) {
    const k = rule.allowed.get(key);
    if (k === undefined) {
      problem(issues, 'structure', `Invalid additional property "${key}"`, `${path}.${key}`);
      // `_valueQuantity` is not allowed, but a node with it has its element (no "missing" issue for it)
      const c = rule.complexExt.get(key);
      if (c !== undefined && obj[key] !== undefined) notePresent(present, c, stamp);
      continue;
    }
    if (key !== 'id' && key !== 'resourceType') children++;
    if (k === 'resourceType' || obj[key] === undefined) continue;
    notePresent(present, k, stamp);
    if (!k.ext && k.el.name === 'value') extensionValue = true;
  }
  for (const el of rule.required) if (el.stamp !== stamp) present.push((el.index << 8) | MISSING);
  // in the order of the type's elements, as the issues always came (keys mostly come in that order)
  for (let i = 1; i < present.length; i++) {
    const e = present[i];
    let j = i - 1;
    for (; j >= 0 && present[j] > e; j--) present[j + 1] = present[j];
    present[j + 1] = e;
  }
  if (children === 0 && type !== 'Resource' && !isKnownResourceType(type))
    problem(issues, 'structure', 'Element must have a value or children (ele-1)', path);
  if (type === 'Extension' && obj.extension !== undefined && extensionValue) {
    problem(
      issues,
      'structure',
      'Constraint ext-1 not met: Must have either extensions or value[x], not both',
      path,
    );
  }
  for (const e of present) {
    const el = rule.elements[e >> 8];
    const which = e & 255;
    if (which === MISSING) {
      problem(issues, 'structure', 'Missing required property', `${path}.${el.name}`);
      continue;
    }
    const found = which === SEVERAL ? firstOfSeveral(el, obj, path, issues) : el.props[which];
    const raw = obj[found.prop];
    const ext = obj[found.ext];
    const at = `${path}.${found.prop}`;
    if (el.array) {
      if (raw !== undefined && !Array.isArray(raw)) {
        problem(issues, 'structure', 'Expected an array', at);
        continue;
      }
      const list = (raw as unknown[] | undefined) ?? (Array.isArray(ext) ? ext.map(() => null) : []);
      if (list.length === 0) problem(issues, 'structure', 'An array must not be empty', at);
      if (list.length > el.max) problem(issues, 'structure', `Expected at most ${el.max} values`, at);
      if (list.length < el.min) problem(issues, 'structure', `Expected at least ${el.min} values`, at);
      for (let i = 0; i < list.length; i++) {
        const v = list[i];
        if (v === null || v === undefined) {
          if (!isPrimitive(found.type) || !Array.isArray(ext) || !ext[i])
            problem(issues, 'structure', 'Array entries must not be null', `${at}[${i}]`);
          continue;
        }
        validateValue(el, found.type, v, `${at}[${i}]`, root, issues);
      }
    } else {
      if (Array.isArray(raw)) {
        problem(issues, 'structure', 'Expected a single value, not an array', at);
        continue;
      }
      if (raw === undefined || raw === null) {
        if (raw === null) problem(issues, 'structure', 'Value must not be null', at);
        continue;
      }
      validateValue(el, found.type, raw, at, root, issues);
    }
  }
  for (const c of rule.constraints) runConstraint(c, obj, path, root, issues);
}

// Invariants checked natively: the most frequent (ref-1 on every Reference, per-1 on every Period, qty-3 on
// every Quantity, obs-6/obs-7 on every Observation) cost 5-20 µs each through fhirpath.js, and txt-1/txt-2
// use htmlChecks(), which fhirpath.js does not implement.
const QUANTITY_TYPES = new Set([
  'Quantity',
  'Age',
  'Distance',
  'Duration',
  'Count',
  'SimpleQuantity',
  'MoneyQuantity',
]);
const UNSAFE_HTML =
  /<\s*(script|iframe|object|embed|form|input|button|style|link|meta|base|frame)\b|\son[a-z]+\s*=|javascript:/i;

/**
 * Every local pointer ('#...') a resource holds: references and canonical/uri values (dom-3 looks at
 * `descendants().reference` and `.as(canonical|uri|url)`; any string starting with '#' counts here).
 */
function collectLocalPointers(node: unknown, out: Set<string>): void {
  if (typeof node === 'string') {
    if (node.startsWith('#')) out.add(node);
  } else if (Array.isArray(node)) {
    for (const x of node) collectLocalPointers(x, out);
  } else if (typeof node === 'object' && node !== null) {
    for (const v of Object.values(node)) collectLocalPointers(v, out);
  }
}

/** dom-2..dom-5, the rules for contained resources, without walking the resource once per rule. */
function containedInvariants(resource: Json, path: string, issues: Issues): void {
  const contained = resource.contained as Json[] | undefined;
  if (!Array.isArray(contained) || contained.length === 0) return;
  const fail = (key: string, text: string) =>
    problem(issues, 'structure', `Constraint ${key} not met: ${text}`, path);
  if (contained.some((c) => c?.contained !== undefined))
    fail('dom-2', 'If the resource is contained in another resource, it SHALL NOT contain nested Resources');
  if (
    contained.some(
      (c) =>
        (c?.meta as Json | undefined)?.versionId !== undefined ||
        (c?.meta as Json | undefined)?.lastUpdated !== undefined,
    )
  ) {
    fail(
      'dom-4',
      'If a resource is contained in another resource, it SHALL NOT have a meta.versionId or a meta.lastUpdated',
    );
  }
  if (contained.some((c) => (c?.meta as Json | undefined)?.security !== undefined))
    fail('dom-5', 'If a resource is contained in another resource, it SHALL NOT have a security label');
  const pointers = new Set<string>();
  collectLocalPointers(resource, pointers);
  for (const c of contained) {
    if (typeof c?.id !== 'string' || pointers.has(`#${c.id}`)) continue;
    const own = new Set<string>();
    collectLocalPointers(c, own);
    if (!own.has('#'))
      fail(
        'dom-3',
        `The contained resource "${c.id}" SHALL be referred to from elsewhere in the resource or SHALL refer to the containing resource`,
      );
  }
}

function nativeInvariants(type: string, v: Json, path: string, root: Json, issues: Issues): void {
  if (type === 'Reference') {
    const ref = v.reference;
    if (typeof ref === 'string' && ref.startsWith('#') && ref.length > 1) {
      const ids = ((root.contained as Json[] | undefined) ?? []).map((c) => c.id);
      if (!ids.includes(ref.slice(1)))
        problem(
          issues,
          'structure',
          'Constraint ref-1 not met: SHALL have a contained resource if a local reference is provided',
          path,
        );
    }
  } else if (type === 'Period') {
    if (typeof v.start === 'string' && typeof v.end === 'string') {
      const a = dateRange(v.start);
      const b = dateRange(v.end);
      if (a && b && a.lo > b.hi)
        problem(
          issues,
          'structure',
          'Constraint per-1 not met: If present, start SHALL have a lower value than end',
          path,
        );
    }
  } else if (QUANTITY_TYPES.has(type)) {
    if (v.code !== undefined && v.system === undefined)
      problem(
        issues,
        'structure',
        'Constraint qty-3 not met: If a code for the unit is present, the system SHALL also be present',
        path,
      );
  } else if (type === 'Observation') {
    const hasValue = Object.keys(v).some((k) => k.startsWith('value') && k.length > 5);
    if (hasValue && v.dataAbsentReason !== undefined)
      problem(
        issues,
        'structure',
        'Constraint obs-6 not met: dataAbsentReason SHALL only be present if Observation.value[x] is not present',
        path,
      );
    if (hasValue && Array.isArray(v.component)) {
      const own = new Set(
        (((v.code as Json | undefined)?.coding as Json[] | undefined) ?? []).map((c) => JSON.stringify(c)),
      );
      const clash = (v.component as Json[]).some((c) =>
        (((c.code as Json | undefined)?.coding as Json[] | undefined) ?? []).some((x) =>
          own.has(JSON.stringify(x)),
        ),
      );
      if (clash)
        problem(
          issues,
          'structure',
          'Constraint obs-7 not met: If Observation.code is the same as an Observation.component.code then the value element associated with the code SHALL NOT be present',
          path,
        );
    }
  } else if (type === 'Narrative' && typeof v.div === 'string') {
    if (UNSAFE_HTML.test(v.div))
      problem(
        issues,
        'structure',
        'Constraint txt-1 not met: The narrative SHALL contain only the basic html formatting elements and attributes',
        `${path}.div`,
      );
    if (!/\S/.test(v.div.replace(/<[^>]*>/g, '')) && !/<img\b/i.test(v.div)) {
      problem(
        issues,
        'structure',
        'Constraint txt-2 not met: The narrative SHALL have some non-whitespace content',
        `${path}.div`,
      );
    }
  }
}

const NATIVE_TYPES = new Set(['Reference', 'Period', 'Narrative', ...QUANTITY_TYPES]);

function validateValue(
  el: ElementRule,
  type: string,
  v: unknown,
  path: string,
  root: Json,
  issues: Issues,
): void {
  if (isPrimitive(type)) {
    const p = primitiveProblem(type, v);
    if (p) problem(issues, 'structure', p, path);
  } else if (type === 'Resource') {
    const rt = (v as Json | null)?.resourceType;
    if (typeof rt !== 'string' || !isKnownResourceType(rt))
      problem(issues, 'structure', `Missing or unknown resourceType "${String(rt)}"`, path);
    // A contained resource's local references point into its container (%rootResource); an entry's into itself.
    else {
      validateComplex(rt, v, path, el.name === 'contained' ? root : (v as Json), issues);
      if (el.name !== 'contained') containedInvariants(v as Json, path, issues);
      if (rt === 'Observation') nativeInvariants(rt, v as Json, path, root, issues);
    }
  } else {
    validateComplex(type, v, path, root, issues);
    if (NATIVE_TYPES.has(type)) nativeInvariants(type, v as Json, path, root, issues);
  }
  if (el.binding) checkBinding(el.binding, type, v, path, issues);
  // An element repeats its type's invariants; each runs once.
  const own = isPrimitive(type) ? undefined : ruleFor(type)?.constraints;
  for (const c of el.constraints)
    if (!own?.some((o) => o.key === c.key)) runConstraint(c, v, path, root, issues);
}

/** Every structural error in a resource (empty when it is valid). */
export function structuralIssues(resource: Json): Issues {
  const issues: Issues = [];
  const type = resource.resourceType as string;
  validateComplex(type, resource, type, resource, issues);
  containedInvariants(resource, type, issues);
  if (type === 'Observation') nativeInvariants(type, resource, type, resource, issues);
  return issues;
}
