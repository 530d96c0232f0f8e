// Chartroom's compiled validator against Medplum's (the reference it replaced for speed): same verdict on
// every official R4 example record and on Synthea bundles, apart from the documented differences.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { getAllDataTypes, validateResource as medplumValidate, OperationOutcomeError } from '@medplum/core';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { structuralIssues } from '../../src/fhir/validate/structure.js';
import { corpusFiles, readBundle } from '../support/corpus.js';

const require = createRequire(import.meta.url);
const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
type Json = Record<string, unknown>;

// Where the two disagree, and who is right.
const EXPECTED_DIFFERENCES: Record<string, string> = {
  // Medplum rejects base64 with line breaks, which the R4 base64Binary regex allows.
  'Binary-example.json': 'medplum-only',
  'DiagnosticReport-gingival-mass.json': 'medplum-only',
  'Media-example.json': 'medplum-only',
  // Medplum fails ras-2 when there is no probability at all (the invariant is then not false but empty).
  'RiskAssessment-breastcancer-risk.json': 'medplum-only',
  'RiskAssessment-prognosis.json': 'medplum-only',
  // Empty narratives break txt-2, which Medplum does not check.
  'ActivityDefinition-blood-tubes-supply.json': 'ours-only',
  'ActivityDefinition-heart-valve-replacement.json': 'ours-only',
  'EventDefinition-example.json': 'ours-only',
  'Questionnaire-zika-virus-exposure-assessment.json': 'ours-only',
};
const DEFINITIONAL =
  /^(StructureDefinition|SearchParameter|ValueSet|CodeSystem|ConceptMap|OperationDefinition|CapabilityStatement|ImplementationGuide|CompartmentDefinition|NamingSystem|StructureMap|GraphDefinition|TerminologyCapabilities|MessageDefinition|ExampleScenario|Bundle)-/;

function medplumRejects(r: Json): boolean {
  try {
    medplumValidate(r as never);
    return false;
  } catch (err) {
    if (err instanceof OperationOutcomeError)
      return (err.outcome.issue ?? []).some((i) => i.severity === 'error');
    throw err;
  }
}

test('same verdict as Medplum on the official example records and 10 Synthea bundles, except the documented cases', () => {
  loadDefinitions();
  const cases: [string, Json][] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    if (!file.endsWith('.json') || file === 'package.json' || DEFINITIONAL.test(file)) continue;
    cases.push([file, JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))]);
  }
  for (const f of corpusFiles('synthea-fhir-r4').slice(0, 10))
    for (const e of readBundle(f).entry) cases.push([path.basename(f), e.resource as unknown as Json]);
  const differences: Record<string, string> = {};
  for (const [file, r] of cases) {
    const ours = structuralIssues(r).length > 0;
    const theirs = medplumRejects(r);
    if (ours !== theirs) differences[file] = ours ? 'ours-only' : 'medplum-only';
  }
  assert.ok(cases.length > 3000, `${cases.length} resources compared`);
  assert.deepEqual(differences, EXPECTED_DIFFERENCES);
});

test('errors name the element: unknown property, datatype, cardinality, choice, required binding, invariant', () => {
  const issues = structuralIssues({
    resourceType: 'Observation',
    status: 'finalish',
    code: { coding: [{ system: 'http://loinc.org', code: '8302-2' }] },
    effectiveDateTime: '2020-13-01',
    effectivePeriod: { start: '2020-01-01' },
    valueQuantity: { value: 'tall', code: 'cm' },
    subject: { reference: '#missing' },
    component: { code: { text: 'x' } },
    colour: 'red',
  });
  const byPath = Object.fromEntries(issues.map((i) => [i.expression?.[0], i.details?.text ?? i.diagnostics]));
  assert.match(byPath['Observation.status'], /not in the required value set/);
  assert.match(byPath['Observation.effectiveDateTime'], /Invalid dateTime/);
  assert.match(byPath['Observation.effectivePeriod'], /Only one of/);
  assert.match(byPath['Observation.valueQuantity.value'], /expected number/);
  assert.match(byPath['Observation.valueQuantity'], /qty-3/);
  assert.match(byPath['Observation.subject'], /ref-1/);
  assert.match(byPath['Observation.component'], /Expected an array/);
  assert.match(byPath['Observation.colour'], /Invalid additional property/);
  assert.deepEqual(
    structuralIssues({ resourceType: 'Patient', name: [{}] }).map((i) => i.expression?.[0]),
    ['Patient.name[0]'],
  );
  assert.deepEqual(
    structuralIssues({
      resourceType: 'Patient',
      birthDate: '1970-01-01',
      _birthDate: { extension: [{ url: 'http://x', valueString: 'y' }] },
    }),
    [],
  );
});

// The validator finds an element by the node's own keys (it used to look up every property of every element);
// these are the issues, and their order, as the element-by-element walk gave them.
test('a null or non-object coding of a required-bound concept is an issue, not a crash', () => {
  const issues = structuralIssues({
    resourceType: 'Condition',
    subject: { reference: 'Patient/p1' },
    clinicalStatus: { coding: [null, 'active'] },
  });
  const at = (path: string) => issues.filter((i) => i.expression?.[0] === path).map((i) => i.diagnostics);
  assert.match(String(at('Condition.clinicalStatus.coding[0]')), /Array entries must not be null/);
  assert.match(String(at('Condition.clinicalStatus.coding[1]')), /expected an object/);
});

test('issues of choices, missing required elements, _prop extensions and unknown properties, in element order', () => {
  const issuesOf = (r: Json) => structuralIssues(r).map((i) => [i.expression?.[0], i.details?.text]);
  const valueTypes =
    'valueQuantity, valueCodeableConcept, valueString, valueBoolean, valueInteger, valueRange, valueRatio, valueSampledData, valueTime, valueDateTime, valuePeriod';
  assert.deepEqual(
    issuesOf({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      valueString: 'a',
      valueQuantity: { value: 1 },
      _valueBoolean: { id: 'b' },
    }),
    [
      ['Observation.valueString', `Only one of ${valueTypes} may be present`],
      ['Observation.valueBoolean', `Only one of ${valueTypes} may be present`],
    ],
  );
  assert.deepEqual(
    issuesOf({ resourceType: 'Observation', valueString: 'a', component: [{ valueString: 'b' }] }),
    [
      ['Observation.status', 'Missing required property'],
      ['Observation.code', 'Missing required property'],
      ['Observation.component[0].code', 'Missing required property'],
    ],
  );
  // a primitive given by its extension only (`_birthDate`, `_given` entries) is present
  assert.deepEqual(
    issuesOf({
      resourceType: 'Patient',
      _birthDate: { extension: [{ url: 'http://x', valueString: 'y' }] },
      name: [{ _given: [null, { id: 'g' }], given: [null, 'B'] }],
      _gender: { id: 'z' },
    }),
    [['Patient.name[0].given[0]', 'Array entries must not be null']],
  );
  assert.deepEqual(
    issuesOf({ resourceType: 'Patient', name: [{ given: ['A', null], _given: [null, null] }] }),
    [['Patient.name[0].given[1]', 'Array entries must not be null']],
  );
  assert.deepEqual(
    issuesOf({
      resourceType: 'Patient',
      colour: 'red',
      name: [{ family: 'F', nickname: 'x' }],
      _active: { id: 'a' },
      active: true,
      z: 1,
    }),
    [
      ['Patient.colour', 'Invalid additional property "colour"'],
      ['Patient.z', 'Invalid additional property "z"'],
      ['Patient.name[0].nickname', 'Invalid additional property "nickname"'],
    ],
  );
  // `_code` of a complex element is not allowed, but the element counts as present (no "missing" issue)
  assert.deepEqual(
    issuesOf({
      resourceType: 'Observation',
      status: 'final',
      _code: { id: 'x' },
      _valueQuantity: { id: 'q' },
    }),
    [
      ['Observation._code', 'Invalid additional property "_code"'],
      ['Observation._valueQuantity', 'Invalid additional property "_valueQuantity"'],
    ],
  );
  const extensionTypes = [
    ...(
      structuralIssues({
        resourceType: 'Patient',
        extension: [{ url: 'a', valueString: 's', valueCode: 'c' }],
      })[0]?.details?.text ?? ''
    ).matchAll(/value\w+/g),
  ].length;
  assert.equal(extensionTypes, 50);
  assert.deepEqual(
    issuesOf({
      resourceType: 'Patient',
      extension: [
        { url: 'http://x', valueString: 'y', extension: [{ url: 'a', valueCode: 'c' }] },
        { url: 'http://y', extension: [{ url: 'b', valueInteger: 1, valueString: 's' }] },
      ],
    }).map(([at, text]) => [at, text?.slice(0, 40)]),
    [
      ['Patient.extension[0]', 'Constraint ext-1 not met: Must have eith'],
      ['Patient.extension[1].extension[0].valueString', 'Only one of valueBase64Binary, valueBool'],
    ],
  );
  // keys in any order: the issues follow the type's elements (meta, status, code, subject, value[x])
  assert.deepEqual(
    issuesOf({
      resourceType: 'Observation',
      valueString: 7,
      subject: 1,
      code: 'x',
      status: 'nope',
      meta: { lastUpdated: 'yesterday' },
    }).map(([at]) => at),
    [
      'Observation.meta.lastUpdated',
      'Observation.status',
      'Observation.code',
      'Observation.subject',
      'Observation.valueString',
    ],
  );
});

test('every property of every R4 type belongs to one element (the validator finds elements by property)', () => {
  loadDefinitions();
  const names = Object.keys(getAllDataTypes());
  assert.ok(names.length > 600, `${names.length} types`);
  // validating a node of each type builds its rule, which refuses a property claimed by two elements
  for (const name of names) assert.doesNotThrow(() => structuralIssues({ resourceType: name }), name);
});
