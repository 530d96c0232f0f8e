// One-dimensional PostgreSQL arrays in their binary wire format (array_recv). The store sends its column
// arrays this way (index rows, versions, current rows): node-postgres sends a Buffer parameter in binary
// format and PGlite takes the bytes as they are (platform/db/pglite.ts), so neither writes each array as a
// literal of quoted, escaped elements for the server to parse again. Each array has its own ArrayBuffer
// (not Node's shared pool), so that the import's preparing threads hand them over without a copy.

const OID = { bool: 16, int8: 20, int4: 23, text: 25, timestamptz: 1184 } as const;
const HEADER = 20;

/** A buffer for an array of n elements of type oid taking `size` bytes in all, its header written. */
function arrayBuffer(size: number, n: number, oid: number): Buffer {
  const out = Buffer.allocUnsafeSlow(size);
  out.writeInt32BE(1, 0); // dimensions
  out.writeInt32BE(0, 4); // has NULLs: set by the caller when it writes one
  out.writeInt32BE(oid, 8);
  out.writeInt32BE(n, 12);
  out.writeInt32BE(1, 16); // lower bound
  return out;
}

/** Writes a NULL element at `at`, marks the array as holding one, and returns the position after it. */
function writeNull(out: Buffer, at: number): number {
  out.writeInt32BE(-1, at);
  out.writeInt32BE(1, 4);
  return at + 4;
}

/** A text[] of these strings (null or undefined: SQL NULL). */
export function textArray(values: readonly (string | null | undefined)[]): Buffer {
  let size = HEADER + 4 * values.length;
  for (const v of values) if (v != null) size += Buffer.byteLength(v);
  const out = arrayBuffer(size, values.length, OID.text);
  let at = HEADER;
  for (const v of values) {
    if (v == null) {
      at = writeNull(out, at);
      continue;
    }
    // the UTF-8 bytes, as node-postgres writes a string parameter (a lone surrogate becomes U+FFFD)
    const n = out.write(v, at + 4, 'utf8');
    out.writeInt32BE(n, at);
    at += 4 + n;
  }
  return out;
}

const INT4_MIN = -2147483648;
const INT4_MAX = 2147483647;

/** An int4[] of these integers (null or undefined: SQL NULL). */
export function int4Array(values: readonly (number | null | undefined)[]): Buffer {
  const out = arrayBuffer(HEADER + values.length * 8, values.length, OID.int4);
  let at = HEADER;
  for (const v of values) {
    if (v == null) {
      at = writeNull(out, at);
      continue;
    }
    if (!Number.isInteger(v) || v < INT4_MIN || v > INT4_MAX) throw new RangeError(`${v} is not an int4`);
    out.writeInt32BE(4, at);
    out.writeInt32BE(v, at + 4);
    at += 8;
  }
  return out.subarray(0, at);
}

const TWO_32 = 4294967296;
const DECIMAL = /^-?[0-9]+$/;

/** Writes a safe integer as a big-endian int64 at `at`. */
function writeSafeInt64(out: Buffer, n: number, at: number): void {
  const hi = Math.floor(n / TWO_32);
  out.writeInt32BE(hi, at);
  out.writeUInt32BE(n - hi * TWO_32, at + 4);
}

/** An int8[] of these integers, given as decimal strings (as pg returns bigint) or numbers; null: SQL NULL. */
export function int8Array(values: readonly (string | number | null | undefined)[]): Buffer {
  const out = arrayBuffer(HEADER + values.length * 12, values.length, OID.int8);
  let at = HEADER;
  for (const v of values) {
    if (v == null) {
      at = writeNull(out, at);
      continue;
    }
    out.writeInt32BE(8, at);
    const n = Number(v);
    if (typeof v === 'number' ? Number.isSafeInteger(v) : Number.isSafeInteger(n) && DECIMAL.test(v))
      writeSafeInt64(out, n, at + 4);
    else if (typeof v === 'string' && DECIMAL.test(v)) out.writeBigInt64BE(BigInt(v), at + 4);
    else throw new RangeError(`${v} is not an int8`);
    at += 12;
  }
  return out.subarray(0, at);
}

/** A boolean[] of these values (null or undefined: SQL NULL). */
export function boolArray(values: readonly (boolean | null | undefined)[]): Buffer {
  const out = arrayBuffer(HEADER + values.length * 5, values.length, OID.bool);
  let at = HEADER;
  for (const v of values) {
    if (v == null) {
      at = writeNull(out, at);
      continue;
    }
    out.writeInt32BE(1, at);
    out[at + 4] = v ? 1 : 0;
    at += 5;
  }
  return out.subarray(0, at);
}

// timestamptz is an int64 of microseconds since 2000-01-01 00:00 UTC; +-infinity are its extremes.
const SECONDS_1970_TO_2000 = 946_684_800;

/** Days from 1970-01-01 to this proleptic Gregorian date (month 1-12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** The number written by the n digits of v from `from`, or -1 when one of them is not a digit. */
function digits(v: string, from: number, n: number): number {
  let out = 0;
  for (let i = from; i < from + n; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    out = out * 10 + c;
  }
  return out;
}

/** Whether v has character c at position i (a separator of `YYYY-MM-DDTHH:MM:SS.mmmZ`). */
const at = (v: string, i: number, c: string) => v.charCodeAt(i) === c.charCodeAt(0);

/**
 * Writes `v` at `pos` as a timestamptz when it is an instant as `Date.toISOString` writes it (years 0001-9999,
 * a valid date and time) or +-infinity, the forms the index rows hold; false for anything else.
 */
function writeTimestamptz(out: Buffer, v: string, pos: number): boolean {
  if (v === 'infinity' || v === '-infinity') {
    out.writeBigInt64BE(v === 'infinity' ? 0x7fffffffffffffffn : -0x8000000000000000n, pos);
    return true;
  }
  if (v.length !== 24 || !at(v, 4, '-') || !at(v, 7, '-') || !at(v, 10, 'T') || !at(v, 13, ':')) return false;
  if (!at(v, 16, ':') || !at(v, 19, '.') || !at(v, 23, 'Z')) return false;
  const y = digits(v, 0, 4);
  const mo = digits(v, 5, 2);
  const d = digits(v, 8, 2);
  const h = digits(v, 11, 2);
  const mi = digits(v, 14, 2);
  const s = digits(v, 17, 2);
  const ms = digits(v, 20, 3);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return false;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ms < 0) return false;
  const seconds = daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - SECONDS_1970_TO_2000;
  // seconds x 10^6 passes 2^53 beyond ~285 years from 2000: multiply the two 32-bit halves apart
  const hi = Math.floor(seconds / TWO_32);
  const low = (seconds - hi * TWO_32) * 1_000_000 + ms * 1000;
  const carry = Math.floor(low / TWO_32);
  out.writeInt32BE(hi * 1_000_000 + carry, pos);
  out.writeUInt32BE(low - carry * TWO_32, pos + 4);
  return true;
}

/**
 * A timestamptz[] of these instants (null: SQL NULL), or undefined when one of them is in another form than
 * `Date.toISOString`'s or +-infinity: the caller then sends the strings for PostgreSQL to parse, as before.
 */
export function timestamptzArray(values: readonly (string | null | undefined)[]): Buffer | undefined {
  const out = arrayBuffer(HEADER + values.length * 12, values.length, OID.timestamptz);
  let at = HEADER;
  for (const v of values) {
    if (v == null) {
      at = writeNull(out, at);
      continue;
    }
    out.writeInt32BE(8, at);
    if (!writeTimestamptz(out, v, at + 4)) return undefined;
    at += 12;
  }
  return out.subarray(0, at);
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
  const view = new DataView(out.buffer);
  view.setInt32(0, 1);
  view.setInt32(4, va.getInt32(4) === 1 || vb.getInt32(4) === 1 ? 1 : 0);
  view.setInt32(8, va.getInt32(8));
  view.setInt32(12, va.getInt32(12) + vb.getInt32(12));
  view.setInt32(16, 1);
  out.set(a.subarray(HEADER), HEADER);
  out.set(b.subarray(HEADER), a.length);
  return out;
}
