// Loads a few of the smallest Synthea patient bundles of the corpus through the REST API (each one a
// transaction Bundle), for tests that need real records of several patients.
import fs from 'node:fs';
import { corpusFiles, readBundle } from './corpus.js';
import type { TestServer } from './test-server.js';

export async function loadSmallBundles(s: TestServer, n: number): Promise<string[]> {
  const files = corpusFiles('synthea-fhir-r4')
    .filter((f) => !/(hospital|practitioner)Information/.test(f))
    .map((f) => ({ f, size: fs.statSync(f).size }))
    .sort((a, b) => a.size - b.size)
    .slice(0, n);
  const patients: string[] = [];
  for (const { f } of files) {
    const r = await s.request('POST', '', readBundle(f));
    if (r.status !== 200) throw new Error(`loading ${f}: ${r.status} ${r.text.slice(0, 300)}`);
    const loc = (r.body.entry as { response: { location: string } }[])
      .map((e) => e.response.location)
      .find((l) => l.startsWith('Patient/'));
    if (loc) patients.push(loc.split('/')[1]);
  }
  return patients;
}
