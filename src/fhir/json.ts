// FHIR JSON with lossless decimals: FHIR says a decimal's precision is significant (1.50 is not 1.5), but
// JSON.parse keeps only the double. parseJson keeps the text of every number that would not come back
// the same from JSON.stringify; stringifyJson writes it back where the value is still that number.
//
// The parsed value stays plain JSON (numbers are numbers, for validation, FHIRPath and indexing). The kept
// lexemes ride on the object or array that holds the number, under a symbol key: JSON.stringify,
// Object.keys and for...in do not see it, while spreads (`{ ...resource, id }`) and rest destructuring
// copy it, so the copies the store makes keep their decimals. Every container on the way from the root
// to a kept lexeme carries the symbol too, so stringifyJson hands every subtree without one to the
// native JSON.stringify, and an ordinary document (no such number) costs one regular-expression scan on
// parse (each number checked with String(Number(x))) and one property check on stringify.
import { parse as losslessParse } from 'lossless-json';

/** key (or array index) -> the number's text as written; present (maybe empty) on every ancestor too. */
type KeptLexemes = Readonly<Record<string, string>>;

const KEPT: unique symbol = Symbol('chartroom.keptDecimals');
const NONE: KeptLexemes = Object.freeze({});

type Holder = { [KEPT]?: KeptLexemes } & Record<string | number, unknown>;

/**
 * A number in value position (also number-like text inside a string, which only costs the slower parse).
 * Finding every number and checking it took half the time of one pattern for the risky forms (trailing
 * zero, exponent, 16+ digits...) on the Synthea bundles: ~45 ms for 28 MB, where JSON.parse took 50-120.
 */
const NUMBER_TOKEN = /[:,[]\s*(-?\d[\d.eE+-]*)(?=\s*[,}\]])/g;

const roundTrips = (lexeme: string): boolean => String(Number(lexeme)) === lexeme;

/** True when some number of the text would lose its writing through JSON.parse and JSON.stringify. */
export function hasUnsafeNumber(text: string): boolean {
  NUMBER_TOKEN.lastIndex = 0;
  for (let m = NUMBER_TOKEN.exec(text); m; m = NUMBER_TOKEN.exec(text)) {
    if (!roundTrips(m[1])) return true;
  }
  return false;
}

/**
 * JSON.parse that keeps the text of decimals that would not round-trip. Throws SyntaxError on bad JSON.
 * Duplicate keys keep the last value, as JSON.parse does.
 */
export function parseJson(text: string): unknown {
  if (!hasUnsafeNumber(text)) return JSON.parse(text);
  const doc = losslessParse(text, null, {
    parseNumber: (lexeme) => (roundTrips(lexeme) ? Number(lexeme) : new KeptNumber(lexeme)),
    onDuplicateKey: ({ newValue }) => newValue,
  });
  if (doc instanceof KeptNumber) return Number(doc.lexeme);
  adopt(doc);
  return doc;
}

/** The parser's marker for a number whose text is kept (a class: no JSON object can be mistaken for it). */
class KeptNumber {
  constructor(readonly lexeme: string) {}
}

/**
 * Replaces the parser's kept-number markers by numbers and records their texts on their holders;
 * true when the subtree holds any.
 */
function adopt(node: unknown): boolean {
  if (typeof node !== 'object' || node === null) return false;
  const holder = node as Holder;
  let own: Record<string, string> | undefined;
  let below = false;
  for (const key of Object.keys(holder)) {
    const v = holder[key];
    if (typeof v !== 'object' || v === null) continue;
    if (v instanceof KeptNumber) {
      holder[key] = Number(v.lexeme);
      own ??= {};
      own[key] = v.lexeme;
    } else if (adopt(v)) below = true;
  }
  if (own) holder[KEPT] = Object.freeze(own);
  else if (below) holder[KEPT] = NONE;
  return Boolean(own) || below;
}

/** The text a number was written with, when it was kept and the value is still that number. */
export function keptLexeme(holder: object, key: string | number): string | undefined {
  const lexeme = (holder as Holder)[KEPT]?.[key];
  return lexeme !== undefined && Object.is(Number(lexeme), (holder as Holder)[key]) ? lexeme : undefined;
}

/** JSON.stringify that writes kept decimal texts back. */
export function stringifyJson(value: unknown): string {
  if (typeof value !== 'object' || value === null || !(KEPT in value)) return JSON.stringify(value);
  return write(value as Holder);
}

function write(node: Holder): string {
  const kept = node[KEPT] ?? NONE;
  if (Array.isArray(node)) {
    const parts: string[] = [];
    for (let i = 0; i < node.length; i++) parts.push(member(node, i, kept) ?? 'null');
    return `[${parts.join(',')}]`;
  }
  const parts: string[] = [];
  for (const key of Object.keys(node)) {
    const text = member(node, key, kept);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

function member(node: Holder, key: string | number, kept: KeptLexemes): string | undefined {
  const v = node[key];
  if (typeof v === 'number') {
    const lexeme = kept[key];
    if (lexeme !== undefined && Object.is(Number(lexeme), v)) return lexeme;
  } else if (
    typeof v === 'object' &&
    v !== null &&
    KEPT in v &&
    typeof (v as { toJSON?: unknown }).toJSON !== 'function'
  )
    return write(v as Holder);
  return JSON.stringify(v);
}

/**
 * Marks the containers above kept decimals again after parts of documents were moved into another
 * (JSON Patch add/replace/copy/move), so stringifyJson finds them. True when the tree holds any.
 */
export function markKeptDecimals(node: unknown): boolean {
  if (typeof node !== 'object' || node === null) return false;
  const holder = node as Holder;
  let below = false;
  for (const key of Object.keys(holder)) if (markKeptDecimals(holder[key])) below = true;
  const own = holder[KEPT];
  if (own && Object.keys(own).some((k) => keptLexeme(holder, k) !== undefined)) return true;
  if (below) holder[KEPT] = own ?? NONE;
  return below;
}

/** Sets a number's kept text on its new holder (a JSON Patch value moved into the document). */
export function keepLexeme(holder: object, key: string | number, lexeme: string): void {
  const h = holder as Holder;
  h[KEPT] = Object.freeze({ ...(h[KEPT] ?? NONE), [key]: lexeme });
}

/** Gives a new object built from `from`'s members (a subset of a resource) `from`'s kept decimals. */
export function copyKeptDecimals<T extends object>(from: object, to: T): T {
  const kept = (from as Holder)[KEPT];
  if (kept) (to as Holder)[KEPT] = kept;
  return to;
}
