// _summary and _elements: a resource reduced as the R4 search page says, marked with the SUBSETTED tag.
// `_summary=true` keeps the summary elements of the official StructureDefinitions at every level (inside a
// kept backbone element or data type, only its summary children), plus mandatory elements and modifier
// extensions; `text`, `data` and `_elements` work on the top level. Plans come from summary-plan.ts.
import { copyKeptDecimals } from './json.js';
import { type Keep, type SummaryPlan, summaryPlan, topLevel } from './summary-plan.js';

export type SubsetMode = 'true' | 'text' | 'data';

const ALWAYS = new Set(['resourceType', 'id', 'meta', 'modifierExtension']);
const SUBSETTED = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
  display: 'subsetted',
};

type Json = Record<string, unknown>;

/** The resource as `_summary` (true, text, data) or `_elements` asks; undefined keeps it whole. */
export function subsetResource(resource: Json, summary?: string, elements?: string[]): Json {
  if (summary && summary !== 'false' && summary !== 'count')
    return tag(summarize(resource, summary as SubsetMode));
  if (elements?.length) return tag(pickTop(resource, new Set(elements)));
  return resource;
}

function summarize(resource: Json, mode: SubsetMode): Json {
  if (mode === 'data') {
    const { text: _text, ...rest } = resource;
    return rest;
  }
  if (mode === 'text') return pickTop(resource, new Set(['text']));
  const plan = summaryPlan(String(resource.resourceType));
  return plan ? (keepByPlan(resource, plan) as Json) : resource;
}

/** The value with only what the plan keeps; the same object when nothing goes (no copy). */
function keepValue(value: unknown, keep: Keep): unknown {
  if (keep === 'whole' || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const kept = keepValue(v, keep);
      if (kept !== v) changed = true;
      return kept;
    });
    return changed ? copyKeptDecimals(value, out) : value;
  }
  // A resource inside a resource (Bundle.entry.resource, Parameters.parameter.resource): its own type's plan.
  const plan = keep === 'resource' ? summaryPlan(String((value as Json).resourceType)) : keep;
  return plan ? keepByPlan(value as Json, plan) : value;
}

function keepByPlan(obj: Json, plan: SummaryPlan): Json {
  const out: Json = {};
  let changed = false;
  for (const key of Object.keys(obj)) {
    const keep = plan.keep.get(key);
    if (keep === undefined) {
      changed = true;
      continue;
    }
    const v = obj[key];
    const kept = keepValue(v, keep);
    if (kept !== v) changed = true;
    out[key] = kept;
  }
  return changed ? copyKeptDecimals(obj, out) : obj;
}

/**
 * Top-level elements by name (`_elements`, `_summary=text`), plus id, meta, modifier extensions and the
 * mandatory elements. A choice element is named by its base (`value`) or its key (`valueQuantity`).
 */
function pickTop(resource: Json, names: Set<string>): Json {
  const top = topLevel(String(resource.resourceType));
  const out: Json = copyKeptDecimals(resource, {});
  for (const [k, v] of Object.entries(resource)) {
    const name = top.names.get(k);
    if (
      ALWAYS.has(k) ||
      names.has(k) ||
      (name !== undefined && (names.has(name) || names.has(`${name}[x]`) || top.mandatory.has(name)))
    )
      out[k] = v;
  }
  return out;
}

function tag(resource: Json): Json {
  const meta = { ...((resource.meta as Json | undefined) ?? {}) };
  const tags = [...((meta.tag as Json[] | undefined) ?? [])];
  if (!tags.some((t) => t.code === SUBSETTED.code)) tags.push(SUBSETTED);
  meta.tag = tags;
  return { ...resource, meta };
}
