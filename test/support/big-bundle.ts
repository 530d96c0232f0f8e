// Writes big generated Bundle files (as a stream, plain or gzip) for the streamed import's tests and its
// benchmark: patients, each with observations that point to their patient by urn:uuid, decimals as written.

import { once } from 'node:events';
import fs from 'node:fs';
import zlib from 'node:zlib';

export interface BigBundleSpec {
  type: 'transaction' | 'batch' | 'collection';
  patients: number;
  observationsPerPatient: number;
  /** A prefix for the ids, so that files of one test do not share resources. */
  prefix: string;
  /** Entry positions whose resource is made invalid (an Observation with status "not-a-status"). */
  bad?: Set<number>;
  /** Extra text in each Observation (a note), to make big files from fewer entries. */
  padding?: number;
}

export const patientId = (spec: BigBundleSpec, p: number) => `${spec.prefix}-pat-${p}`;
export const observationId = (spec: BigBundleSpec, p: number, o: number) => `${spec.prefix}-obs-${p}-${o}`;
const uuid = (kind: number, p: number, o: number) =>
  `urn:uuid:${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${(p * 1000 + o).toString(16).padStart(12, '0')}`;

/** The entry text at each position: patient p's entry, then its observations (patient first or last). */
function* entryTexts(spec: BigBundleSpec): Generator<string> {
  let i = 0;
  const request = (type: string, id: string) =>
    spec.type === 'collection' ? '' : `,"request":{"method":"PUT","url":"${type}/${id}"}`;
  const note = spec.padding ? `,"note":[{"text":"${'x'.repeat(spec.padding)}"}]` : '';
  for (let p = 0; p < spec.patients; p++) {
    const obs: string[] = [];
    for (let o = 0; o < spec.observationsPerPatient; o++) {
      const status = spec.bad?.has(i + o + (p % 2 ? 0 : 1)) ? 'not-a-status' : 'final';
      obs.push(
        `{"fullUrl":"${uuid(2, p, o)}","resource":{"resourceType":"Observation","id":"${observationId(spec, p, o)}",` +
          `"status":"${status}","code":{"text":"glucose"},"subject":{"reference":"${uuid(1, p, 0)}"},` +
          `"valueQuantity":{"value":1.50,"unit":"mmol/L"}${note}}${request('Observation', observationId(spec, p, o))}}`,
      );
    }
    const patient =
      `{"fullUrl":"${uuid(1, p, 0)}","resource":{"resourceType":"Patient","id":"${patientId(spec, p)}",` +
      `"name":[{"family":"Stream${p}"}]}${request('Patient', patientId(spec, p))}}`;
    // Odd patients come after their observations: references point forward as well as back.
    const group = p % 2 ? [...obs, patient] : [patient, ...obs];
    for (const text of group) {
      yield text;
      i++;
    }
  }
}

/** Writes the Bundle file (gzip when the name ends in .gz); its size in bytes. */
export async function writeBigBundle(file: string, spec: BigBundleSpec): Promise<number> {
  const out = fs.createWriteStream(file);
  const gzip = /\.gz$/i.test(file) ? zlib.createGzip({ level: 1 }) : undefined;
  gzip?.pipe(out);
  const sink: NodeJS.WritableStream = gzip ?? out;
  const write = async (s: string) => {
    if (!sink.write(s)) await once(sink, 'drain');
  };
  await write(`{"resourceType":"Bundle","type":"${spec.type}","entry":[\n`);
  let first = true;
  for (const text of entryTexts(spec)) {
    await write(`${first ? '' : ',\n'}${text}`);
    first = false;
  }
  await write('\n]}\n');
  sink.end();
  await once(out, 'finish');
  return fs.statSync(file).size;
}
