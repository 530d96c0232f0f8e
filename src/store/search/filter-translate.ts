// `_filter` (https://hl7.org/fhir/R4/search_filter.html) onto the filters ordinary search compiles: each
// operator maps to the prefix or modifier that means the same (`ge` -> `ge` prefix, `co` on a string ->
// `:contains`, `ss` -> `:below`, `pr false` -> `:missing=true`, `ne` on a token -> `:not`, ...), so a
// `_filter` and the ordinary search it spells give the same rows through the same SQL. Only what has
// no ordinary form gets a filter of its own (`compare`: string eq/ew/gt..., uri co/ew, date po).
// Unknown parameters and operators a parameter type cannot take are 400s naming the character.
import { codeHierarchy, HIERARCHY_SYSTEMS } from '../../fhir/code-hierarchy.js';
import { type CompiledParam, findParam, type SearchParamType } from '../../fhir/index/search-params.js';
import { dateRange, numberRange } from '../../fhir/index/values.js';
import { FhirError } from '../../platform/errors.js';
import { parseQuantity } from './compile-quantity.js';
import {
  type FilterExpr,
  type FilterOperator,
  filterError,
  type PathStep,
  parseFilterSyntax,
} from './filter-syntax.js';
import { type Filter, referenceTargets, splitPipe, type TokenRowCondition } from './parse.js';

type Compare = Extract<FilterExpr, { kind: 'compare' }>;

/** The operators each parameter type takes (the R4 filter page's table, as far as the index can answer). */
const OPERATORS: Record<string, readonly FilterOperator[]> = {
  string: ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le', 'pr'],
  token: ['eq', 'ne', 'ss', 'sb', 'in', 'ni', 'pr'],
  reference: ['eq', 'ne', 're', 'pr'],
  date: ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'po', 'pr'],
  number: ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'pr'],
  quantity: ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'pr'],
  uri: ['eq', 'ne', 'co', 'sw', 'ew', 'ss', 'sb', 'pr'],
  composite: ['eq', 'pr'],
  _id: ['eq', 'ne'],
  _lastUpdated: ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'po'],
  _text: ['eq', 'co'],
  _content: ['eq', 'co'],
  _list: ['eq'],
};

const SPECIAL = new Set(['_id', '_lastUpdated', '_text', '_content', '_list']);

/** The filter one `_filter` value selects, for resources of `types`. */
export function parseFilterParameter(types: string[], value: string): Filter {
  return translate(types, parseFilterSyntax(value));
}

function translate(types: string[], e: FilterExpr): Filter {
  switch (e.kind) {
    case 'and':
      return { kind: 'and', items: e.items.map((i) => translate(types, i)) };
    case 'or':
      return mergeOr(e.items.map((i) => translate(types, i)));
    case 'not':
      return { kind: 'not', inner: translate(types, e.item) };
    case 'compare':
      return comparePath(types, e.path, e);
  }
}

/**
 * `code eq a or code eq b` is `code=a,b`: positive filters on one parameter with one modifier become one
 * filter with both values (one EXISTS with the values OR-ed inside, the SQL of the ordinary search).
 */
function mergeOr(items: Filter[]): Filter {
  const out: Filter[] = [];
  for (const f of items) {
    const same =
      f.kind === 'param' && f.modifier !== 'not' && f.modifier !== 'not-in'
        ? out.find(
            (g): g is Extract<Filter, { kind: 'param' }> =>
              g.kind === 'param' && g.param === f.param && g.modifier === f.modifier,
          )
        : undefined;
    if (same && f.kind === 'param') same.values = [...same.values, ...f.values];
    else out.push(f.kind === 'param' ? { ...f, values: [...f.values] } : f);
  }
  return out.length === 1 ? out[0] : { kind: 'or', items: out };
}

/** `a.b.c op v`: each step before the last a reference parameter, chained to the targets that fit. */
function comparePath(types: string[], path: PathStep[], c: Compare): Filter {
  const [step, ...rest] = path;
  if (rest.length === 0) return leaf(types, step, c);
  const param = paramOf(types, step);
  if (param.type === 'token') return tokenRow(param, step, rest, c);
  if (param.type !== 'reference')
    throw filterError(
      `"${step.name}" is a ${param.type} parameter: only a reference or token parameter can be followed by "."`,
      step.pos,
      step.name,
    );
  const targets = [
    ...new Set(types.flatMap((t) => referenceTargets(findParam(t, step.name) as CompiledParam))),
  ];
  const needed = [rest[0].name, ...(step.where ? namesIn(step.where) : [])];
  const candidates = targets.filter((t) => needed.every((n) => SPECIAL.has(n) || findParam(t, n)));
  if (candidates.length === 0)
    throw filterError(
      `no resource type that ${step.name} can point at (${targets.join(', ')}) has the parameter(s) ${needed.join(', ')}`,
      rest[0].pos,
      rest[0].name,
    );
  const inner = [comparePath(candidates, rest, c)];
  if (step.where) inner.unshift(translate(candidates, step.where));
  return { kind: 'chain', param, types: candidates, inner };
}

const TOKEN_PARTS = ['system', 'code', 'display'] as const;
const PART_OPERATORS: readonly FilterOperator[] = ['eq', 'ne', 'sw', 'co', 'ew'];

/**
 * `code[system eq http://loinc.org].code eq 1234-5`, `code.display co "heart"`: conditions on the
 * parts of one value (one coding, one identifier) of a token parameter, which its index row holds together.
 */
function tokenRow(param: CompiledParam, step: PathStep, rest: PathStep[], c: Compare): Filter {
  const part = (name: string, pos: number): (typeof TOKEN_PARTS)[number] => {
    const p = TOKEN_PARTS.find((t) => t === name);
    if (!p)
      throw filterError(
        `a token parameter's value has the parts ${TOKEN_PARTS.join(', ')}, not "${name}"`,
        pos,
        name,
      );
    return p;
  };
  const row = (e: FilterExpr): TokenRowCondition => {
    if ('items' in e) return { kind: e.kind, items: e.items.map(row) };
    if ('item' in e) return { kind: 'not', inner: row(e.item) };
    if (e.path.length !== 1 || e.path[0].where)
      throw filterError(
        `expected system, code or display inside ${step.name}[...]`,
        e.path[0].pos,
        e.path[0].name,
      );
    return leafPart(e.path[0], e);
  };
  const leafPart = (p: PathStep, cmp: Compare): TokenRowCondition => {
    const name = part(p.name, p.pos);
    if (!PART_OPERATORS.includes(cmp.op))
      throw filterError(
        `operator "${cmp.op}" cannot be used with ${step.name}.${name}, which takes ${PART_OPERATORS.join(', ')}`,
        cmp.opPos,
        cmp.op,
      );
    return { kind: 'part', part: name, op: cmp.op as 'eq', value: cmp.value };
  };
  if (rest.length !== 1 || rest[0].where)
    throw filterError(`expected system, code or display after "${step.name}."`, rest[0].pos, rest[0].name);
  const last = leafPart(rest[0], c);
  return {
    kind: 'token-row',
    param,
    where: step.where ? { kind: 'and', items: [row(step.where), last] } : last,
  };
}

/** The parameter names a filter compares at its own level (the first step of each path). */
function namesIn(e: FilterExpr): string[] {
  if (e.kind === 'compare') return [e.path[0].name];
  if (e.kind === 'not') return namesIn(e.item);
  return e.items.flatMap(namesIn);
}

function paramOf(types: string[], step: PathStep): CompiledParam {
  const params = types.map((t) => findParam(t, step.name));
  const p = params[0];
  if (!p || params.some((q) => !q || q.type !== p.type) || p.type === 'special')
    throw filterError(
      `unknown search parameter "${step.name}" for ${types.join(', ')}${p?.type === 'special' ? ' (special parameters other than _id, _lastUpdated, _text, _content and _list are not supported in _filter)' : ''}`,
      step.pos,
      step.name,
    );
  return p;
}

function checkOperator(kind: string, what: string, c: Compare): void {
  if (!OPERATORS[kind].includes(c.op))
    throw filterError(
      `operator "${c.op}" cannot be used with ${what}, which takes ${OPERATORS[kind].join(', ')}`,
      c.opPos,
      c.op,
    );
}

function leaf(types: string[], step: PathStep, c: Compare): Filter {
  if (step.where)
    throw filterError(
      `"${step.name}[...]" must be followed by "." and a parameter of what ${step.name} points at`,
      step.pos,
      step.name,
    );
  if (SPECIAL.has(step.name)) return special(step.name, c);
  const param = paramOf(types, step);
  checkOperator(param.type, `${step.name} (a ${param.type} parameter)`, c);
  if (c.op === 'pr') {
    if (c.value !== 'true' && c.value !== 'false')
      throw filterError(`"pr" takes true or false`, c.valuePos, c.value);
    return { kind: 'missing', param, missing: c.value === 'false' };
  }
  const one = (modifier: string | undefined, value: string): Filter => ({
    kind: 'param',
    param,
    modifier,
    values: [value],
  });
  const v = c.value;
  switch (param.type as SearchParamType) {
    case 'string': {
      const s = escapeValue(v);
      if (c.op === 'sw') return one(undefined, s);
      if (c.op === 'co') return one('contains', s);
      if (c.op === 'ne') return { kind: 'not', inner: { kind: 'compare', param, op: 'eq', value: v } };
      return { kind: 'compare', param, op: c.op as 'eq', value: v };
    }
    case 'token': {
      if (c.op === 'eq') return one(undefined, v);
      if (c.op === 'ne') return one('not', v);
      if (c.op === 'in' || c.op === 'ni') return one(c.op === 'in' ? 'in' : 'not-in', v);
      // ss: the value subsumes the resource's code (the code is below it); sb: the other way.
      const [system, code] = splitPipe(v);
      if (!system || !code || !codeHierarchy(system))
        throw filterError(
          `"${c.op}" takes system|code of a code system whose codes carry their hierarchy (${HIERARCHY_SYSTEMS.join(', ')})`,
          c.valuePos,
          v,
        );
      return one(c.op === 'ss' ? 'below' : 'above', v);
    }
    case 'reference':
      return c.op === 'ne' ? { kind: 'not', inner: one(undefined, v) } : one(undefined, v);
    case 'uri': {
      const s = escapeValue(v);
      if (c.op === 'eq') return one(undefined, s);
      if (c.op === 'ne') return { kind: 'not', inner: one(undefined, s) };
      if (c.op === 'sw' || c.op === 'ss') return one('below', s);
      if (c.op === 'sb') return one('above', s);
      return { kind: 'compare', param, op: c.op as 'co', value: v };
    }
    case 'date': {
      if (!dateRange(v))
        throw filterError(
          `"${v}" is not a date for ${step.name} (use YYYY, YYYY-MM, YYYY-MM-DD or a dateTime)`,
          c.valuePos,
          v,
        );
      if (c.op === 'po') return { kind: 'compare', param, op: 'po', value: v };
      return one(undefined, `${c.op}${v}`);
    }
    case 'number':
      if (!numberRange(v)) throw filterError(`"${v}" is not a number for ${step.name}`, c.valuePos, v);
      return one(undefined, `${c.op}${v}`);
    case 'quantity':
      try {
        parseQuantity(v, step.name, '_filter');
      } catch (e) {
        if (e instanceof FhirError)
          throw filterError(e.outcome.issue[0].diagnostics ?? 'invalid quantity', c.valuePos, v);
        throw e;
      }
      return one(undefined, `${c.op}${v}`);
    default:
      return one(undefined, v); // composite: the parts joined by $, as in ordinary search
  }
}

/** `_id`, `_lastUpdated`, `_text`, `_content`, `_list`. */
function special(name: string, c: Compare): Filter {
  checkOperator(name, name, c);
  const v = c.value;
  switch (name) {
    case '_id': {
      const f: Filter = { kind: 'id', values: [v] };
      return c.op === 'ne' ? { kind: 'not', inner: f } : f;
    }
    case '_lastUpdated':
      if (!dateRange(v)) throw filterError(`"${v}" is not a date for _lastUpdated`, c.valuePos, v);
      // A point in time overlaps a range exactly when the range contains it.
      return { kind: 'lastUpdated', values: [`${c.op === 'po' ? 'eq' : c.op}${v}`] };
    case '_list':
      return { kind: 'list', values: [v] };
    default:
      return { kind: 'text', field: name as '_text', values: [v] };
  }
}

/** A value as ordinary search writes it: commas, bars, dollars and backslashes escaped. */
const escapeValue = (s: string) => s.replace(/[\\,|$]/g, '\\$&');
