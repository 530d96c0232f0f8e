// What the HTTP layer will send: every result of the public surface survives JSON unchanged, and misuse is a FhirError.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { FhirError } from '../../src/platform/errors.js';
import { loadTerminology, SYSTEM_URIS, type Terminology } from '../../src/terminology/index.js';

let t: Terminology;
before(async () => {
  t = await loadTerminology();
});

const roundTrips = (value: unknown): void => assert.deepEqual(JSON.parse(JSON.stringify(value)), value);

test('results are plain JSON: search, table search, lookup, validate, expand, edits, diff, impact, versions', () => {
  roundTrips(t.search('dm2 ckd'));
  roundTrips(t.search('hip fx l'));
  roundTrips(t.searchTable('drug', 'warfarin'));
  roundTrips(t.lookup({ code: 'S72.001A' }));
  roundTrips(t.lookup({ system: 'hcpcs', code: 'J1100' }));
  roundTrips(t.validateCode({ code: 'T07A' }));
  roundTrips(t.expand({ parent: 'E11', count: 5 }));
  roundTrips(
    t.edits({
      date: '2025-11-03',
      encounterType: 'inpatient',
      ageYears: 70,
      sex: 'male',
      diagnoses: [{ code: 'F02.80' }, { code: 'O09.511' }],
    }),
  );
  roundTrips(t.diff('icd10cm', '2025', '2026').counts);
  roundTrips(t.impact([{ system: 'icd10cm', code: 'E11.22' }]));
  roundTrips(t.versions());
});

test('the official system URIs are exposed and accepted wherever a system is named', () => {
  assert.deepEqual(t.systems, SYSTEM_URIS);
  for (const uri of [SYSTEM_URIS.icd10cm, SYSTEM_URIS.icd10pcs, SYSTEM_URIS.hcpcs]) {
    assert.ok(t.expand({ system: uri, count: 1 }).contains[0].system === uri);
  }
});

test('misuse is a FhirError with an OperationOutcome: unknown system, bad date, unknown version, bad table', () => {
  const isFhir = (status: number) => (e: unknown) =>
    e instanceof FhirError && e.status === status && e.outcome.resourceType === 'OperationOutcome';
  assert.throws(() => t.search('x', { system: 'snomed' }), isFhir(400));
  assert.throws(() => t.validateCode({ code: 'I10', date: 'last week' }), isFhir(400));
  assert.throws(() => t.lookup({ code: 'I10', version: '1999' }), isFhir(404));
  assert.throws(() => t.searchTable('cpt' as 'drug', 'x'), isFhir(400));
  assert.throws(() => t.diff('icd10cm', '2025', '2031'), isFhir(404));
});
