// Extracts the search-index rows and patient-compartment membership of a resource, appending them to a
// column-oriented batch that the store writes with one multi-row INSERT per index table.
import { patientCompartmentParams } from '../definitions.js';
import type { CanonicalRange } from '../ucum/canonical.js';
import type { TypedValue } from './compile-path.js';
import { type CompiledParam, paramsFor } from './search-params.js';
import { contentText, narrativeText } from './text.js';
import {
  type QuantityValue,
  type RangeValue,
  type ReferenceValue,
  type StringValue,
  type TokenValue,
  toDateRanges,
  toNumberRanges,
  toQuantities,
  toReferences,
  toStrings,
  toTokens,
  toUris,
} from './values.js';

export interface IndexBatch {
  token: {
    rid: string[];
    param: number[];
    system: (string | null)[];
    code: (string | null)[];
    text: (string | null)[];
    ofType: (string | null)[];
  };
  string: { rid: string[]; param: number[]; value: string[]; raw: string[] };
  date: { rid: string[]; param: number[]; lo: string[]; hi: string[] };
  reference: { rid: string[]; param: number[]; targetType: (string | null)[]; targetId: string[] };
  number: { rid: string[]; param: number[]; lo: string[]; hi: string[] };
  quantity: {
    rid: string[];
    param: number[];
    system: (string | null)[];
    code: (string | null)[];
    lo: string[];
    hi: string[];
  };
  uri: { rid: string[]; param: number[]; value: string[] };
  composite: {
    rid: string[];
    param: number[];
    key: string[];
    lo: (string | null)[];
    hi: (string | null)[];
    /** The quantity part in canonical UCUM units (null when it is not a convertible UCUM quantity). */
    ucumCode: (string | null)[];
    ucumLo: (string | null)[];
    ucumHi: (string | null)[];
  };
  compartment: { patient: string[]; rid: string[] };
  text: { rid: string[]; narrative: string[]; content: string[] };
}

export function emptyBatch(): IndexBatch {
  return {
    token: { rid: [], param: [], system: [], code: [], text: [], ofType: [] },
    string: { rid: [], param: [], value: [], raw: [] },
    date: { rid: [], param: [], lo: [], hi: [] },
    reference: { rid: [], param: [], targetType: [], targetId: [] },
    number: { rid: [], param: [], lo: [], hi: [] },
    quantity: { rid: [], param: [], system: [], code: [], lo: [], hi: [] },
    uri: { rid: [], param: [], value: [] },
    composite: { rid: [], param: [], key: [], lo: [], hi: [], ucumCode: [], ucumLo: [], ucumHi: [] },
    compartment: { patient: [], rid: [] },
    text: { rid: [], narrative: [], content: [] },
  };
}

export type ParamIds = (p: CompiledParam) => number;

/**
 * Parameters that searches, sorts and `_filter` answer from the resource's own row (`resource.id`,
 * `resource.last_updated`: store/search/conditions.ts, compile.ts), so rows of theirs would never be read:
 * one token and one date row less per resource (about a ninth of an import's index rows).
 */
const ON_RESOURCE_ROW = new Set(['_id', '_lastUpdated']);

/** Appends the rows of one resource to the batch; returns the ids of the patients whose compartment holds it. */
export function extractIndex(
  resource: { resourceType: string; id?: string },
  rid: string,
  ids: ParamIds,
  batch: IndexBatch,
): string[] {
  const type = resource.resourceType;
  const compartmentCodes = patientCompartmentParams(type);
  const patients = new Set<string>();
  if (type === 'Patient' && resource.id) patients.add(resource.id);
  for (const p of paramsFor(type)) {
    if (p.type === 'special' || p.rowsOf || ON_RESOURCE_ROW.has(p.code)) continue;
    const values = p.evaluate(resource);
    if (values.length === 0) continue;
    const param = ids(p);
    if (p.type === 'composite') {
      addComposites(p, values, rid, param, batch);
      continue;
    }
    addValues(p.type, values, rid, param, batch, compartmentCodes.includes(p.code) ? patients : undefined);
  }
  for (const patient of patients) {
    batch.compartment.patient.push(patient);
    batch.compartment.rid.push(rid);
  }
  batch.text.rid.push(rid);
  batch.text.narrative.push(narrativeText(resource));
  batch.text.content.push(contentText(resource));
  return [...patients];
}

function addValues(
  type: string,
  values: TypedValue[],
  rid: string,
  param: number,
  b: IndexBatch,
  patients?: Set<string>,
): void {
  switch (type) {
    case 'token': {
      const out: TokenValue[] = [];
      for (const v of values) toTokens(v, out);
      pushTokens(out, rid, param, b);
      return;
    }
    case 'string': {
      const out: StringValue[] = [];
      for (const v of values) toStrings(v, out);
      for (const s of dedupe(out, (s) => s.raw)) {
        b.string.rid.push(rid);
        b.string.param.push(param);
        b.string.value.push(s.value);
        b.string.raw.push(s.raw);
      }
      return;
    }
    case 'date': {
      const out: RangeValue[] = [];
      for (const v of values) toDateRanges(v, out);
      for (const r of dedupe(out, (r) => `${r.lo}/${r.hi}`)) {
        b.date.rid.push(rid);
        b.date.param.push(param);
        b.date.lo.push(r.lo);
        b.date.hi.push(r.hi);
      }
      return;
    }
    case 'reference': {
      const out: ReferenceValue[] = [];
      for (const v of values) toReferences(v, out);
      for (const r of dedupe(out, (r) => `${r.targetType}/${r.targetId}`)) {
        b.reference.rid.push(rid);
        b.reference.param.push(param);
        b.reference.targetType.push(r.targetType);
        b.reference.targetId.push(r.targetId);
        if (patients && r.targetType === 'Patient') patients.add(r.targetId);
      }
      // A reference by identifier is searchable with `:identifier` (token rows under the same parameter).
      const ids: TokenValue[] = [];
      for (const v of values) if (v.type === 'Reference') toTokens(v, ids);
      pushTokens(ids, rid, param, b);
      return;
    }
    case 'number': {
      const out: RangeValue[] = [];
      for (const v of values) toNumberRanges(v, out);
      for (const r of out) {
        b.number.rid.push(rid);
        b.number.param.push(param);
        b.number.lo.push(r.lo);
        b.number.hi.push(r.hi);
      }
      return;
    }
    case 'quantity': {
      const out: QuantityValue[] = [];
      for (const v of values) toQuantities(v, out);
      for (const q of out) {
        pushQuantity(b, rid, param, q.system, q.code, q.lo, q.hi);
        // The canonical form goes in a row of its own under the negated parameter id: every existing
        // query names the parameter's id and so ignores it; a UCUM search reads it through the same
        // (param, lo) index.
        if (q.ucum) pushQuantity(b, rid, -param, q.system, q.ucum.code, q.ucum.lo, q.ucum.hi);
      }
      return;
    }
    case 'uri': {
      const out: string[] = [];
      for (const v of values) toUris(v, out);
      for (const u of new Set(out)) {
        b.uri.rid.push(rid);
        b.uri.param.push(param);
        b.uri.value.push(u);
      }
      return;
    }
  }
}

type Combo = { key: string[]; lo: string | null; hi: string | null; ucum?: CanonicalRange };

/**
 * A composite row per matched element: the token/string/reference components joined by `$` in `key`,
 * the first numeric, quantity or date component as a range (dates as epoch milliseconds), and a UCUM
 * quantity component also in canonical units.
 */
function addComposites(
  p: CompiledParam,
  roots: TypedValue[],
  rid: string,
  param: number,
  b: IndexBatch,
): void {
  for (const root of roots) {
    let combos: Combo[] = [{ key: [], lo: null, hi: null }];
    for (const c of p.components ?? []) {
      const vals = c.evaluate(root);
      const parts: { key?: string; lo?: string; hi?: string; ucum?: CanonicalRange }[] = [];
      if (c.type === 'token') {
        const out: TokenValue[] = [];
        for (const v of vals) toTokens(v, out);
        for (const t of out) if (t.code !== null) parts.push({ key: `${t.system ?? ''}|${t.code}` });
      } else if (c.type === 'quantity') {
        const out: QuantityValue[] = [];
        for (const v of vals) toQuantities(v, out);
        for (const q of out) parts.push({ lo: q.lo, hi: q.hi, ucum: q.ucum });
      } else if (c.type === 'number') {
        const out: RangeValue[] = [];
        for (const v of vals) toNumberRanges(v, out);
        for (const r of out) parts.push(r);
      } else if (c.type === 'date') {
        const out: RangeValue[] = [];
        for (const v of vals) toDateRanges(v, out);
        for (const r of out)
          parts.push({
            lo: String(Date.parse(r.lo) || '-Infinity'),
            hi: String(Date.parse(r.hi) || 'Infinity'),
          });
      } else if (c.type === 'string') {
        const out: StringValue[] = [];
        for (const v of vals) toStrings(v, out);
        for (const s of out) parts.push({ key: s.value });
      } else if (c.type === 'reference') {
        const out: ReferenceValue[] = [];
        for (const v of vals) toReferences(v, out);
        for (const r of out) parts.push({ key: r.targetType ? `${r.targetType}/${r.targetId}` : r.targetId });
      }
      if (parts.length === 0) {
        combos = [];
        break;
      }
      const next: typeof combos = [];
      for (const combo of combos)
        for (const part of parts.slice(0, 8))
          next.push({
            key: part.key !== undefined ? [...combo.key, part.key] : combo.key,
            lo: combo.lo ?? part.lo ?? null,
            hi: combo.hi ?? part.hi ?? null,
            ucum: combo.lo !== null ? combo.ucum : part.ucum,
          });
      combos = next;
    }
    for (const c of combos) {
      b.composite.rid.push(rid);
      b.composite.param.push(param);
      b.composite.key.push(c.key.join('$'));
      b.composite.lo.push(c.lo);
      b.composite.hi.push(c.hi);
      b.composite.ucumCode.push(c.ucum?.code ?? null);
      b.composite.ucumLo.push(c.ucum?.lo ?? null);
      b.composite.ucumHi.push(c.ucum?.hi ?? null);
    }
  }
}

function pushQuantity(
  b: IndexBatch,
  rid: string,
  param: number,
  system: string | null,
  code: string | null,
  lo: string,
  hi: string,
): void {
  b.quantity.rid.push(rid);
  b.quantity.param.push(param);
  b.quantity.system.push(system);
  b.quantity.code.push(code);
  b.quantity.lo.push(lo);
  b.quantity.hi.push(hi);
}

function pushTokens(out: TokenValue[], rid: string, param: number, b: IndexBatch): void {
  for (const t of dedupe(out, (t) => `${t.system}|${t.code}|${t.text}|${t.ofType}`)) {
    b.token.rid.push(rid);
    b.token.param.push(param);
    b.token.system.push(t.system);
    b.token.code.push(t.code);
    b.token.text.push(t.text ?? null);
    b.token.ofType.push(t.ofType ?? null);
  }
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  if (items.length < 2) return items;
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
