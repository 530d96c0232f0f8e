// A ValueSet resource given in an operation's body, read into the definition the terminology domain expands:
// compose.include / exclude of the systems served, with concept lists and filters. Each mistake is a 400
// whose expression points into the body.
import { badRequest } from '../../platform/errors.js';
import {
  type ComposeFilter,
  type ComposeFilterOp,
  type ComposeInclude,
  systemKeyOf,
  type ValueSetDefinition,
} from '../../terminology/index.js';

const OPS: Record<string, readonly ComposeFilterOp[]> = {
  concept: ['is-a', 'descendent-of', 'is-not-a', '=', 'in'],
  code: ['is-a', 'descendent-of', 'is-not-a', '=', 'in'], // some clients name the hierarchy property "code"
  notSelectable: ['='],
};

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function arrayAt(v: unknown, where: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw badRequest(`${where} must be an array`, where);
  return v;
}

function stringAt(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw badRequest(`${where} must be a non-empty string`, where);
  return v.trim();
}

function filterOf(raw: unknown, where: string): ComposeFilter {
  if (!isObject(raw)) throw badRequest(`${where} must be an object`, where);
  const property = stringAt(raw.property, `${where}.property`);
  const ops = OPS[property];
  if (!ops)
    throw badRequest(
      `${where}.property "${property}" is not supported (concept with is-a, descendent-of, is-not-a, =, in; notSelectable with =)`,
      `${where}.property`,
    );
  const op = stringAt(raw.op, `${where}.op`);
  if (!(ops as readonly string[]).includes(op))
    throw badRequest(
      `${where}.op "${op}" is not supported for ${property} (${ops.join(', ')})`,
      `${where}.op`,
    );
  const value = stringAt(raw.value, `${where}.value`);
  if (property === 'notSelectable' && value !== 'true' && value !== 'false')
    throw badRequest(`${where}.value must be true or false for notSelectable`, `${where}.value`);
  if (property !== 'notSelectable' && !/^[A-Za-z0-9.,\s]{1,400}$/.test(value))
    throw badRequest(
      `${where}.value "${value}" is not a code (or a comma-separated list for "in")`,
      `${where}.value`,
    );
  return {
    property: property === 'code' ? 'concept' : (property as ComposeFilter['property']),
    op: op as ComposeFilterOp,
    value,
  };
}

function includeOf(raw: unknown, where: string): ComposeInclude {
  if (!isObject(raw)) throw badRequest(`${where} must be an object`, where);
  if (raw.valueSet !== undefined)
    throw badRequest(`${where}.valueSet: including other value sets is not supported`, `${where}.valueSet`);
  const uri = stringAt(raw.system, `${where}.system`);
  const system = systemKeyOf(uri);
  if (!system)
    throw badRequest(`${where}.system "${uri}" is not a code system served here`, `${where}.system`);
  const inc: ComposeInclude = { system, filters: [] };
  if (raw.version !== undefined) inc.version = stringAt(raw.version, `${where}.version`);
  if (raw.concept !== undefined) {
    const list = arrayAt(raw.concept, `${where}.concept`);
    if (list.length > 10_000)
      throw badRequest(`${where}.concept lists more than 10,000 codes`, `${where}.concept`);
    inc.concepts = list.map((c, i) => {
      if (!isObject(c))
        throw badRequest(`${where}.concept[${i}] must be an object`, `${where}.concept[${i}]`);
      return stringAt(c.code, `${where}.concept[${i}].code`);
    });
  }
  inc.filters = arrayAt(raw.filter, `${where}.filter`).map((f, i) => filterOf(f, `${where}.filter[${i}]`));
  return inc;
}

/** Reads a ValueSet resource (from a Parameters `valueSet` part at `where`). */
export function valueSetDefinition(raw: unknown, where: string): ValueSetDefinition {
  if (!isObject(raw) || raw.resourceType !== 'ValueSet')
    throw badRequest(`${where} must be a ValueSet resource`, where);
  const compose = raw.compose;
  if (!isObject(compose))
    throw badRequest(`${where}.compose is required (include the codes to expand)`, `${where}.compose`);
  const include = arrayAt(compose.include, `${where}.compose.include`).map((x, i) =>
    includeOf(x, `${where}.compose.include[${i}]`),
  );
  if (include.length === 0)
    throw badRequest(`${where}.compose.include needs at least one entry`, `${where}.compose.include`);
  const exclude = arrayAt(compose.exclude, `${where}.compose.exclude`).map((x, i) =>
    includeOf(x, `${where}.compose.exclude[${i}]`),
  );
  const def: ValueSetDefinition = { include, exclude };
  if (typeof raw.url === 'string') def.url = raw.url;
  return def;
}
