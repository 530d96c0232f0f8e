// Imports one Bundle file (or one resource in a .json file). Up to `streamFrom` bytes of JSON text a file
// is read and parsed whole (the fastest way); a bigger one is streamed entry by entry (bundle-stream.ts)
// and written in chunks, so memory stays flat whatever the size: a batch chunk by chunk, a transaction (or
// collection) in one database transaction over two reads of the file (transaction-in-chunks.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { parseJson } from '../../fhir/json.js';
import { FhirError } from '../../platform/errors.js';
import { processBundle } from '../bundle/process-bundle.js';
import { processTransactionInChunks } from '../bundle/transaction-in-chunks.js';
import type { Repository } from '../repository.js';
import { bundleMembers } from './bundle-stream.js';
import { asEntry, asTransaction, countWritten, errorsOf, withRetry } from './import-writes.js';
import { type ImportFile, readBundleText } from './read-files.js';
import type { FileReport } from './run-import.js';

/** Files with more JSON text than this are streamed. */
export const STREAM_BUNDLES_FROM = 32 * 1024 * 1024;
/** Entries per chunk of a streamed Bundle. */
export const BUNDLE_CHUNK = 250;

export interface BundleFileOptions {
  streamFrom?: number;
  chunk?: number;
  /** Bytes of the file read so far (of ImportFile.size), while a streamed file is read. */
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** What got written: counted into the file's report only once the writes are committed. */
interface Tally {
  resources: number;
  byType: Record<string, number>;
  errors: FileReport['errors'];
}

export async function importBundleFile(
  repo: Repository,
  f: ImportFile,
  report: FileReport,
  byType: Record<string, number>,
  opts: BundleFileOptions = {},
): Promise<void> {
  const tally: Tally = { resources: 0, byType, errors: report.errors };
  if ((await textSize(f)) < (opts.streamFrom ?? STREAM_BUNDLES_FROM)) await importWholeBundle(repo, f, tally);
  else await importStreamedBundle(repo, f, tally, opts);
  report.resources += tally.resources;
}

/** The size of the JSON text: a gzip file records it (modulo 4 GiB) in its last four bytes. */
export async function textSize(f: ImportFile): Promise<number> {
  if (!/\.gz$/i.test(f.path) || f.size < 18) return f.size;
  const file = await fs.open(f.path, 'r');
  try {
    const tail = Buffer.alloc(4);
    await file.read(tail, 0, 4, f.size - 4);
    return Math.max(f.size, tail.readUInt32LE(0));
  } finally {
    await file.close();
  }
}

const notJson = (err: unknown, where?: string) =>
  new FhirError(400, {
    severity: 'error',
    code: 'structure',
    diagnostics: `Not valid JSON: ${(err as Error).message}`,
    ...(where ? { expression: [where] } : {}),
  });

export function collectOutcomes(response: Bundle, offset: number, errors: FileReport['errors']): void {
  (response.entry ?? []).forEach((e, i) => {
    if (e.response?.outcome)
      errors.push(
        ...errorsOf(
          new FhirError(Number(e.response.status) || 400, e.response.outcome.issue ?? []),
          `entry[${offset + i}]`,
        ),
      );
  });
}

async function importWholeBundle(repo: Repository, f: ImportFile, tally: Tally): Promise<void> {
  const text = await readBundleText(f.path);
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (err) {
    throw notJson(err);
  }
  let bundle = parsed as Bundle;
  if (bundle?.resourceType !== 'Bundle') {
    // A single resource: import it as a one-entry transaction.
    bundle = { resourceType: 'Bundle', type: 'transaction', entry: [asEntry(parsed as Resource)] };
  } else if (bundle.type !== 'transaction' && bundle.type !== 'batch') bundle = asTransaction(bundle);
  const response = await withRetry(() => processBundle(repo, bundle, { importMode: true }));
  tally.resources += countWritten(bundle.entry ?? [], response, tally.byType);
  collectOutcomes(response, 0, tally.errors);
}

/** The members before `entry` (all of them when there is none): enough to know what the file holds. */
async function readHead(p: string): Promise<Record<string, unknown>> {
  const head: Record<string, unknown> = {};
  try {
    for await (const m of bundleMembers(p)) {
      if (m.key === 'entry') {
        if (head.type !== undefined) break;
        continue;
      }
      head[m.key] = parseJson(m.text);
    }
  } catch (err) {
    if (err instanceof SyntaxError) throw notJson(err);
    throw err;
  }
  return head;
}

interface Chunk {
  offset: number;
  entries: BundleEntry[];
}

/**
 * The file's entries in chunks, parsed (decimals as written); the entries of a collection become import
 * writes (PUT with their id, or POST) and those without a resource are left out, as on the whole path.
 */
async function* entryChunks(
  p: string,
  size: number,
  asWrites: boolean,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<Chunk> {
  let chunk: Chunk = { offset: 0, entries: [] };
  try {
    for await (const m of bundleMembers(p, onBytes)) {
      if (m.key !== 'entry' || m.index === undefined) continue;
      let e: BundleEntry;
      try {
        e = parseJson(m.text) as BundleEntry;
      } catch (err) {
        throw notJson(err, `Bundle.entry[${m.index}]`);
      }
      if (asWrites) {
        if (!e?.resource) continue;
        e = asEntry(e.resource as Resource, e.fullUrl);
      }
      chunk.entries.push(e);
      if (chunk.entries.length >= size) {
        yield chunk;
        chunk = { offset: chunk.offset + chunk.entries.length, entries: [] };
      }
    }
  } catch (err) {
    if (err instanceof SyntaxError) throw notJson(err);
    throw err;
  }
  if (chunk.entries.length) yield chunk;
}

async function importStreamedBundle(
  repo: Repository,
  f: ImportFile,
  tally: Tally,
  opts: BundleFileOptions,
): Promise<void> {
  const head = await readHead(f.path);
  // One big resource that is not a Bundle: nothing to stream.
  if (head.resourceType !== 'Bundle') return importWholeBundle(repo, f, tally);
  const size = Math.max(1, opts.chunk ?? BUNDLE_CHUNK);
  if (head.type === 'batch') {
    for await (const { offset, entries } of entryChunks(f.path, size, false, opts.onBytes)) {
      if (opts.signal?.aborted) {
        tally.errors.push({ where: path.basename(f.path), message: 'cancelled' });
        return;
      }
      const response = await withRetry(() =>
        processBundle(
          repo,
          { resourceType: 'Bundle', type: 'batch', entry: entries },
          { importMode: true, entryOffset: offset },
        ),
      );
      tally.resources += countWritten(entries, response, tally.byType);
      collectOutcomes(response, offset, tally.errors);
    }
    return;
  }
  // A transaction, or a collection (written as one, as on the whole path): the file is read twice, so
  // the progress of each read counts for half of the file.
  const asWrites = head.type !== 'transaction';
  let reads = 0;
  const chunks = () => {
    const before = reads++ * f.size;
    return (async function* () {
      for await (const c of entryChunks(f.path, size, asWrites, (b) => opts.onBytes?.((before + b) / 2)))
        yield c.entries;
    })();
  };
  const written = await withRetry(async () => {
    reads = 0;
    const run: Tally = { resources: 0, byType: {}, errors: [] };
    let offset = 0;
    await processTransactionInChunks(repo, chunks, { importMode: true }, (entries, response) => {
      run.resources += countWritten(
        entries,
        { resourceType: 'Bundle', type: 'transaction-response', entry: response },
        run.byType,
      );
      collectOutcomes(
        { resourceType: 'Bundle', type: 'transaction-response', entry: response },
        offset,
        run.errors,
      );
      offset += entries.length;
    });
    return run;
  });
  tally.resources += written.resources;
  for (const [t, n] of Object.entries(written.byType)) tally.byType[t] = (tally.byType[t] ?? 0) + n;
  tally.errors.push(...written.errors);
}
