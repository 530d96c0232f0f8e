// Round trip of the official R4 example resources (npm hl7.fhir.r4.examples): every example a client
// can create is read back equal apart from id and meta, decimals to the digit as written (1.0, 105.00: the
// files are sent and compared as text, parsed by lossless-json, so a lost trailing zero fails); the spec's
// invalid examples are refused with OperationOutcomes that point at the failing element.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseLossless } from 'lossless-json';
import { startTestServer, type TestServer } from '../support/test-server.js';

const require = createRequire(import.meta.url);
const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
// Conformance and terminology artefacts are definitions, not records; the record store round-trips the rest.
const DEFINITIONAL = new Set([
  'StructureDefinition',
  'SearchParameter',
  'ValueSet',
  'CodeSystem',
  'ConceptMap',
  'OperationDefinition',
  'CapabilityStatement',
  'ImplementationGuide',
  'CompartmentDefinition',
  'NamingSystem',
  'StructureMap',
  'GraphDefinition',
  'TerminologyCapabilities',
  'MessageDefinition',
  'ExampleScenario',
]);
// Examples that break R4 rules, with the rule each breaks; each must be refused, and no other.
const INVALID: Record<string, RegExp> = {
  'Bundle-dataelements.json': /bdl-7/, // duplicate fullUrls
  'Bundle-v2-valuesets.json': /Invalid code format/, // codes with spaces
  'Questionnaire-qs1.json': /linkId/, // item.linkId is required
  // txt-2: "The narrative SHALL have some non-whitespace content"; these narratives are empty <div>s.
  'ActivityDefinition-blood-tubes-supply.json': /txt-2/,
  'ActivityDefinition-heart-valve-replacement.json': /txt-2/,
  'EventDefinition-example.json': /txt-2/,
  'Questionnaire-zika-virus-exposure-assessment.json': /txt-2/,
};

type Json = Record<string, unknown>;
const examples: { file: string; text: string; resource: Json }[] = [];
for (const file of fs.readdirSync(dir).sort()) {
  if (!file.endsWith('.json') || file === 'package.json') continue;
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  const resource = JSON.parse(text) as Json;
  if (typeof resource.resourceType === 'string' && !DEFINITIONAL.has(resource.resourceType))
    examples.push({ file, text, resource });
}
/** True when JSON.parse and JSON.stringify would rewrite some number of the text (1.0, 105.00, 1e2). */
function hasWrittenPrecision(text: string): boolean {
  for (const m of text.matchAll(/[:,[]\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=\s*[,}\]])/g))
    if (String(Number(m[1])) !== m[1]) return true;
  return false;
}
/**
 * The example as a client would compare it: numbers as LosslessNumbers holding their text when it has
 * decimals JSON.parse would rewrite, so deepEqual compares those digit by digit; JSON.parse otherwise.
 */
const parseExact = (text: string, exact: boolean) => (exact ? parseLossless(text) : JSON.parse(text)) as Json;

function comparable(r: Json): Json {
  const { id: _id, meta, ...rest } = r;
  const { versionId: _v, lastUpdated: _l, ...m } = (meta ?? {}) as Json;
  return Object.keys(m).length ? { ...rest, meta: m } : rest;
}

let s: TestServer;
before(async () => {
  s = await startTestServer({ label: 'examples', bodyLimit: 64 * 1024 * 1024 }); // Bundle-resources.json is 35 MB
});
after(() => s.stop());

test(`all ${examples.length} official R4 example resources round-trip, and the invalid ones are refused with a reason`, async () => {
  assert.ok(examples.length >= 700, `expected 700+ examples, found ${examples.length}`);
  const refused: string[] = [];
  let withPrecision = 0;
  for (const { file, text, resource } of examples) {
    const exact = hasWrittenPrecision(text);
    // As written when decimals are at stake; else compact, as before (the 35 MB Bundle pretty-printed was
    // followed by ECONNRESET on the next request on a loaded machine).
    const body = exact ? text : JSON.stringify(resource);
    const created = await s.request('POST', `/${resource.resourceType}`, body).catch((err: Error) => {
      throw new Error(`${file} (${text.length} characters): ${err.message}: ${String(err.cause)}`);
    });
    if (INVALID[file]) {
      assert.equal(created.status, 400, `${file} should be refused`);
      const text = created.body.issue.map((i: { diagnostics?: string }) => i.diagnostics).join(' ');
      assert.match(text, INVALID[file], `${file}: the outcome says why`);
      assert.ok(
        created.body.issue.every((i: { expression?: string[] }) => i.expression?.length),
        `${file}: every issue points somewhere`,
      );
      refused.push(file);
      continue;
    }
    assert.equal(created.status, 201, `${file}: ${created.text.slice(0, 500)}`);
    const read = await s.request('GET', `/${resource.resourceType}/${created.body.id}`);
    assert.equal(read.status, 200);
    if (exact) withPrecision++;
    assert.deepEqual(
      comparable(parseExact(read.text, exact)),
      comparable(parseExact(text, exact)),
      `${file} reads back as sent`,
    );
  }
  assert.deepEqual(refused.sort(), Object.keys(INVALID).sort());
  assert.ok(
    withPrecision >= 20,
    `the examples with decimals such as 105.00 are among them (${withPrecision})`,
  );
});
