// The compiled FHIRPath walker must return what HL7's fhirpath.js returns for every search parameter
// of every official R4 example (references filtered by `resolve() is T` are checked by their type).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { paramsFor } from '../../src/fhir/index/search-params.js';

const require = createRequire(import.meta.url);
const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));

const canon = (v: unknown) => JSON.stringify(v);
// A FHIRPath union (`|`) removes duplicates, and index rows are deduplicated, so compare distinct values.
const distinct = (xs: string[]) => [...new Set(xs)].sort();

test('compiled search-parameter expressions agree with fhirpath.js on the official examples', () => {
  let compared = 0;
  let values = 0;
  const mismatches: string[] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    if (!file.endsWith('.json') || file === 'package.json' || file.startsWith('Bundle-')) continue;
    const resource = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    if (typeof resource.resourceType !== 'string') continue;
    for (const p of paramsFor(resource.resourceType)) {
      if (p.fallback || !p.definition.expression) continue;
      const ours = distinct(p.evaluate(resource).map((v) => canon(v.value)));
      // fhirpath.js has no resolver here: evaluate `X.where(resolve() is T)` as `X` filtered by reference type.
      const expr = p.definition.expression.replace(
        /\.where\(resolve\(\) is ([A-Za-z]+)\)/g,
        ".where(reference.startsWith('$1/') or reference.contains('/$1/'))",
      );
      let theirs: string[];
      try {
        theirs = distinct((fhirpath.evaluate(resource, expr, undefined, r4Model) as unknown[]).map(canon));
      } catch {
        continue; // expressions fhirpath.js cannot run on this resource are not comparable
      }
      // fhirpath.js's union treats the decimals 1 and 1e-245 of this example as equal and drops one.
      if (file === 'Observation-decimal.json' && /^combo-code-value-/.test(p.code)) continue;
      compared++;
      values += ours.length;
      if (canon(ours) !== canon(theirs))
        mismatches.push(
          `${file} ${p.code}: ours ${canon(ours).slice(0, 200)} vs fhirpath.js ${canon(theirs).slice(0, 200)}`,
        );
    }
  }
  assert.ok(compared > 10_000, `compared ${compared} (resource, parameter) pairs`);
  assert.ok(values > 5_000, `compared ${values} values`);
  assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} mismatches`);
});
