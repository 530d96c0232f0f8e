// Finds and rewrites the reference strings inside a resource (every `reference` property at any depth):
// urn:uuid / fullUrl targets of a transaction become Type/id, conditional references are resolved.

type Json = unknown;

/** Calls fn for every `reference` string in the tree; a returned string replaces it. */
export function visitReferences(node: Json, fn: (ref: string) => string | undefined): void {
  if (Array.isArray(node)) {
    for (const item of node) visitReferences(item, fn);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Record<string, Json>;
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'reference' && typeof v === 'string') {
      const out = fn(v);
      if (out !== undefined) obj[k] = out;
    } else if (typeof v === 'object' && v !== null) visitReferences(v, fn);
  }
}

/** A conditional reference is `Type?query`. */
export function isConditionalReference(ref: string): boolean {
  return /^[A-Z][A-Za-z]+\?/.test(ref);
}
