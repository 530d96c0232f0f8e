// Reads a shipped or user-supplied data file, gunzipping `.gz` files, and decodes it as text.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

export async function readDataBytes(path: string): Promise<Buffer> {
  const raw = await readFile(path);
  return path.endsWith('.gz') || (raw[0] === 0x1f && raw[1] === 0x8b) ? gunzipSync(raw) : raw;
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
