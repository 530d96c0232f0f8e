// One-dimensional PostgreSQL arrays in their binary wire format (array_recv): built on the import's preparing
// threads so that PGlite takes the index rows' columns as bytes, instead of its JavaScript writing each
// array as a literal and counting its characters on the thread that runs the engine.

const OID = { text: 25, int4: 23, int8: 20 } as const;
const HEADER = 20;

function header(view: DataView, n: number, hasNull: boolean, oid: number): void {
  view.setInt32(0, 1);
  view.setInt32(4, hasNull ? 1 : 0);
  view.setInt32(8, oid);
  view.setInt32(12, n);
  view.setInt32(16, 1);
}

/** A text[] of these strings (null: SQL NULL). */
export function textArray(values: (string | null)[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts = values.map((v) => (v === null ? null : encoder.encode(v)));
  let size = HEADER;
  for (const p of parts) size += 4 + (p ? p.length : 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  header(view, values.length, parts.includes(null), OID.text);
  let at = HEADER;
  for (const p of parts) {
    view.setInt32(at, p ? p.length : -1);
    at += 4;
    if (p) {
      out.set(p, at);
      at += p.length;
    }
  }
  return out;
}

/** An int4[] of these numbers. */
export function int4Array(values: number[]): Uint8Array {
  const out = new Uint8Array(HEADER + values.length * 8);
  const view = new DataView(out.buffer);
  header(view, values.length, false, OID.int4);
  values.forEach((v, k) => {
    view.setInt32(HEADER + k * 8, 4);
    view.setInt32(HEADER + k * 8 + 4, v);
  });
  return out;
}

/** An int8[] of these decimal strings. */
export function int8Array(values: string[]): Uint8Array {
  const out = new Uint8Array(HEADER + values.length * 12);
  const view = new DataView(out.buffer);
  header(view, values.length, false, OID.int8);
  values.forEach((v, k) => {
    view.setInt32(HEADER + k * 12, 8);
    view.setBigInt64(HEADER + k * 12 + 4, BigInt(v));
  });
  return out;
}

/** The number of elements of a binary array. */
export function arrayLength(a: Uint8Array): number {
  return new DataView(a.buffer, a.byteOffset, a.byteLength).getInt32(12);
}

/** Two binary arrays of the same element type as one (their elements in order). */
export function concatArrays(a: Uint8Array, b: Uint8Array): Uint8Array {
  const va = new DataView(a.buffer, a.byteOffset, a.byteLength);
  const vb = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Uint8Array(HEADER + (a.length - HEADER) + (b.length - HEADER));
  header(
    new DataView(out.buffer),
    va.getInt32(12) + vb.getInt32(12),
    va.getInt32(4) === 1 || vb.getInt32(4) === 1,
    va.getInt32(8),
  );
  out.set(a.subarray(HEADER), HEADER);
  out.set(b.subarray(HEADER), a.length);
  return out;
}
