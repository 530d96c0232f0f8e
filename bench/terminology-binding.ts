// Cost of the record store's code check on resources that hold no coding of the systems served (the Synthea
// corpus: SNOMED, LOINC, RxNorm...): one walk per resource, against the structural validation of the same
// resources measured in the same run (what every write pays already).
// Run: npm run build && node dist/bench/terminology-binding.js [--runs 5]
import os from 'node:os';
import type { Resource } from '@medplum/fhirtypes';
import { findCodings } from '../src/fhir/validate/codings.js';
import { validateResource } from '../src/fhir/validate/validate-resource.js';
import { CHECKED_SYSTEMS } from '../src/terminology/index.js';
import { corpusDocuments, saveResult, stats } from './support.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const resources = corpusDocuments().map((d) => JSON.parse(d.text) as Resource);
let found = 0;
const time = (fn: (r: Resource) => void): number => {
  const t0 = performance.now();
  for (const r of resources) fn(r);
  return ((performance.now() - t0) * 1000) / resources.length; // µs per resource
};
// warm-up
time((r) => findCodings(r, CHECKED_SYSTEMS));
time((r) => validateResource(r));
const walk: number[] = [];
const validate: number[] = [];
for (let i = 0; i < runs; i++) {
  walk.push(time((r) => (found += findCodings(r, CHECKED_SYSTEMS).length)));
  validate.push(time((r) => validateResource(r)));
}
const w = stats(walk);
const v = stats(validate);
process.stdout.write(
  `${resources.length} resources, ${found / runs} codings of the systems served\n` +
    `code check walk:          ${w.median.toFixed(2)} µs/resource (${w.min.toFixed(2)}-${w.max.toFixed(2)})\n` +
    `structural validation:    ${v.median.toFixed(2)} µs/resource (${v.min.toFixed(2)}-${v.max.toFixed(2)})\n` +
    `ratio: ${(w.median / v.median).toFixed(3)}; load average ${os.loadavg()[0].toFixed(1)}\n`,
);
process.stdout.write(
  `saved ${saveResult('terminology-binding', { resources: resources.length, codingsFound: found / runs, walkMicros: w, validateMicros: v })}\n`,
);
