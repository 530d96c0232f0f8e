// _summary and _elements: a resource reduced to some of its top-level elements, marked with the
// SUBSETTED tag as the R4 search page requires. Which elements are "summary" and "mandatory" comes
// from the official StructureDefinitions (isSummary, min > 0).
import { typeSchema } from './definitions.js';
import { copyKeptDecimals } from './json.js';

export type SubsetMode = 'true' | 'text' | 'data';

const ALWAYS = ['resourceType', 'id', 'meta'];
const SUBSETTED = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
  display: 'subsetted',
};

type Json = Record<string, unknown>;

/** The resource as `_summary` (true, text, data) or `_elements` asks; undefined keeps it whole. */
export function subsetResource(resource: Json, summary?: string, elements?: string[]): Json {
  if (summary && summary !== 'false' && summary !== 'count')
    return summarize(resource, summary as SubsetMode);
  if (elements?.length) return pick(resource, new Set([...elements, ...mandatory(resource)]));
  return resource;
}

function summarize(resource: Json, mode: SubsetMode): Json {
  if (mode === 'data') {
    const { text: _text, ...rest } = resource;
    return tag(rest);
  }
  if (mode === 'text') return pick(resource, new Set(['text', ...mandatory(resource)]));
  const schema = typeSchema(String(resource.resourceType));
  const keep = new Set<string>(schema?.summaryProperties ?? []);
  for (const m of mandatory(resource)) keep.add(m);
  return pick(resource, keep);
}

function mandatory(resource: Json): string[] {
  return [...(typeSchema(String(resource.resourceType))?.mandatoryProperties ?? [])];
}

function pick(resource: Json, names: Set<string>): Json {
  const out: Json = copyKeptDecimals(resource, {});
  for (const [k, v] of Object.entries(resource)) {
    // Choice elements are listed by their base name (value[x] -> valueQuantity).
    const base = k.replace(/[A-Z].*$/, '');
    if (ALWAYS.includes(k) || names.has(k) || names.has(base) || names.has(`${base}[x]`)) out[k] = v;
  }
  return tag(out);
}

function tag(resource: Json): Json {
  const meta = { ...((resource.meta as Json | undefined) ?? {}) };
  const tags = [...((meta.tag as Json[] | undefined) ?? [])];
  if (!tags.some((t) => t.code === SUBSETTED.code)) tags.push(SUBSETTED);
  meta.tag = tags;
  return { ...resource, meta };
}
