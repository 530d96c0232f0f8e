// RFC 6902 JSON Patch (fast-json-patch) applied so that decimals keep their written precision: numbers
// the patch sets carry their text from the patch body, numbers it copies or moves carry theirs along.
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { keepLexeme, keptLexeme, markKeptDecimals, parseJson, stringifyJson } from '../fhir/json.js';

type Container = Record<string | number, unknown>;

/** The container a JSON pointer ends in and the key inside it (`-` resolved to the index after an add). */
function parentOf(doc: unknown, pointer: string): { holder: Container; key: string | number } | undefined {
  const cut = pointer.lastIndexOf('/');
  if (cut < 0) return undefined;
  const holder = fastJsonPatch.getValueByPointer(doc, pointer.slice(0, cut)) as unknown;
  if (typeof holder !== 'object' || holder === null) return undefined;
  const raw = pointer
    .slice(cut + 1)
    .replace(/~1/g, '/')
    .replace(/~0/g, '~');
  const key = Array.isArray(holder) ? (raw === '-' ? holder.length - 1 : Number(raw)) : raw;
  return { holder: holder as Container, key };
}

/** The text a number at a pointer was written with, if it was kept. */
function lexemeAt(doc: unknown, pointer: string): string | undefined {
  const at = parentOf(doc, pointer);
  return at ? keptLexeme(at.holder, at.key) : undefined;
}

/**
 * Applies the operations to `doc` in place and returns it. Throws fast-json-patch's errors (a failed
 * `test`, a path that does not exist); the caller discards the half-patched document then.
 */
export function applyJsonPatch(document: object, ops: Operation[]): object {
  let doc = document;
  ops.forEach((op, index) => {
    let applied = op;
    let lexeme: string | undefined;
    if (op.op === 'copy' || op.op === 'move') {
      markKeptDecimals(doc);
      const value = fastJsonPatch.getValueByPointer(doc, op.from) as unknown;
      if (typeof value === 'number') lexeme = lexemeAt(doc, op.from);
      // fast-json-patch copies through JSON.stringify, which would drop the kept texts of the copy.
      if (op.op === 'copy' && typeof value === 'object' && value !== null)
        applied = { op: 'add', path: op.path, value: parseJson(stringifyJson(value)) };
    } else if ((op.op === 'add' || op.op === 'replace') && typeof op.value === 'number') {
      lexeme = keptLexeme(op, 'value') ?? JSON.stringify(op.value);
    }
    doc = fastJsonPatch.applyOperation(doc, applied, true, true, true, index).newDocument;
    if (lexeme !== undefined) {
      const at = parentOf(doc, op.path);
      if (at) keepLexeme(at.holder, at.key, lexeme);
    }
  });
  markKeptDecimals(doc);
  return doc;
}
