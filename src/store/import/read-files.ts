// Finds importable files (FHIR JSON Bundles and NDJSON, plain or gzip-compressed) and reads them as
// streams of work units: a whole Bundle, or batches of NDJSON resources (constant memory).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';

export interface ImportFile {
  path: string;
  kind: 'bundle' | 'ndjson';
  size: number;
}

const BUNDLE_RE = /\.json(\.gz)?$/i;
const NDJSON_RE = /\.ndjson(\.gz)?$/i;

/** Expands files and folders (recursively) into importable files, in a dependable order. */
export function findFiles(inputs: string[]): ImportFile[] {
  const out: ImportFile[] = [];
  const visit = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) visit(path.join(p, name));
      return;
    }
    if (NDJSON_RE.test(p)) out.push({ path: p, kind: 'ndjson', size: st.size });
    else if (BUNDLE_RE.test(p)) out.push({ path: p, kind: 'bundle', size: st.size });
  };
  for (const input of inputs) {
    if (!fs.existsSync(input)) throw new Error(`No such file or folder: ${input}`);
    visit(input);
  }
  // Shared resources first: Synthea's hospital and practitioner bundles, and NDJSON of the types that
  // others point to. Everything else keeps its sorted order.
  const rank = (f: ImportFile) => {
    const name = path.basename(f.path);
    if (/^(hospital|practitioner)Information/i.test(name)) return 0;
    if (/^(Organization|Location)\./.test(name)) return 1;
    if (/^(Practitioner|PractitionerRole|Medication)\./.test(name)) return 2;
    if (/^Patient\./.test(name)) return 3;
    return 4;
  };
  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map((x) => x.f);
}

export async function sha256File(p: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(p)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function openText(p: string): NodeJS.ReadableStream {
  const raw = fs.createReadStream(p);
  return /\.gz$/i.test(p) ? raw.pipe(zlib.createGunzip()) : raw;
}

export async function readBundleText(p: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of openText(p)) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Yields NDJSON lines in batches, with their 1-based line numbers; blank lines are skipped. */
export async function* ndjsonBatches(
  p: string,
  size: number,
): AsyncGenerator<{ line: number; text: string }[]> {
  const rl = readline.createInterface({ input: openText(p), crlfDelay: Number.POSITIVE_INFINITY });
  let batch: { line: number; text: string }[] = [];
  let n = 0;
  for await (const text of rl) {
    n++;
    if (!text.trim()) continue;
    batch.push({ line: n, text });
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
