// Reads a shipped or user-supplied data file, gunzipping `.gz` files, and decodes it as text.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * Read on the calling thread, not the libuv pool: a file read by a pool thread is allocated in that thread's
 * malloc arena, and the freed megabytes of several arenas stay in the process (measured: +60 MiB RSS after load).
 */
export async function readDataBytes(path: string): Promise<Buffer> {
  const raw = readFileSync(path);
  if (!(path.endsWith('.gz') || (raw[0] === 0x1f && raw[1] === 0x8b))) return raw;
  // The gzip trailer gives the uncompressed size (mod 2^32): inflate into one buffer of that size instead of
  // hundreds of 16 KiB chunks, whose freed malloc blocks otherwise stay in the process's resident memory.
  const size = raw.length >= 4 ? raw.readUInt32LE(raw.length - 4) : 0;
  return gunzipSync(raw, size > 0 && size < 2 ** 30 ? { chunkSize: Math.max(size + 1, 16 * 1024) } : {});
}

/** CMS text files before 2021 are Windows-1252; `latin1` decodes every byte and keeps ASCII intact. */
export async function readDataText(path: string, encoding: 'utf8' | 'latin1' = 'utf8'): Promise<string> {
  const bytes = await readDataBytes(path);
  const text = bytes.toString(encoding);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * A copy of `s` that does not keep the text it was cut from alive. V8 represents substrings of 13+
 * characters as views into their parent: a title kept from a 30 MB file would otherwise retain the file.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}
