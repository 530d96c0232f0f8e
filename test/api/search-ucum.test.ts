// Unit-aware quantity search: a UCUM search value converts to canonical units and finds stored
// quantities written in other units of the same dimension (12 g/dL for gt100 g/L, 170 cm for le1.8 m),
// with the prefixes and precision ranges of the R4 search page; other systems, and searches without a
// system, still compare the value as written. Expected answers are worked out in the fixture's comments.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { indexExistingUcum } from '../../src/store/index-existing-ucum.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const PILLS = 'http://example.org/units';

const obs = (id: string, code: string, value: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  valueQuantity: value,
});
const ucum = (value: number, code: string) => ({ value, unit: code, system: UCUM, code });
const bloodPressure = (id: string, systolic: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: LOINC, code: '85354-9' }] },
  component: [{ code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: systolic }],
});

const FIXTURE = [
  // Hemoglobin (718-7): 120 g/L, 95 g/L and 130 g/L; at their precision 115..125 (12 is 11.5..12.5),
  // 94.5..95.5 and 129.995..130.005 g/L. A search value covers its own precision range too: eq needs the
  // stored range inside it, so 120 g/L (119.5..120.5) does not find 12 g/dL, while 0.12 kg/L does.
  obs('hb1', '718-7', ucum(12, 'g/dL')),
  obs('hb2', '718-7', ucum(95, 'g/L')),
  obs('hb3', '718-7', ucum(13000, 'mg/dL')),
  // Body height (8302-2): 1.70 m, 1.90 m and 67 in (1.7018 m; at its precision 1.6891..1.7145 m).
  obs('ht1', '8302-2', ucum(170, 'cm')),
  obs('ht2', '8302-2', ucum(1.9, 'm')),
  obs('ht3', '8302-2', ucum(67, '[in_i]')),
  // Body temperature (8310-5): 37 Cel, and 98.6 [degF] = 37.0 Cel (36.97..37.03 at its precision).
  obs('t1', '8310-5', ucum(37, 'Cel')),
  obs('t2', '8310-5', ucum(98.6, '[degF]')),
  // Glucose (2339-0): molar and mass concentrations, which convert only within themselves (97 mg/dL is
  // 0.97 g/L, a mass concentration like hemoglobin's).
  obs('glu1', '2339-0', ucum(5.4, 'mmol/L')),
  obs('glu2', '2339-0', ucum(97, 'mg/dL')),
  // Not UCUM: a local unit system, and a unit without a system.
  obs('np1', '9999-1', { value: 5, unit: 'pills', system: PILLS, code: 'pill' }),
  obs('ns1', '9999-2', { value: 1.7, unit: 'm' }),
  // Arbitrary units are UCUM but convert to nothing: compared as written.
  obs('iu1', '2484-4', ucum(10, '[IU]/L')),
  // Systolic pressure as a component: 120 mm[Hg] (15.93..16.06 kPa at its precision) and 16 kPa.
  bloodPressure('bp1', ucum(120, 'mm[Hg]')),
  bloodPressure('bp2', ucum(16, 'kPa')),
];

before(async () => {
  s = await startTestServer({ label: 'search-ucum' });
  for (const r of FIXTURE) {
    const res = await s.request('PUT', `/Observation/${r.id}`, r);
    assert.ok(res.status === 201 || res.status === 200, `${r.id}: ${res.text}`);
  }
});
after(() => s.stop());

type Entry = { resource: { id: string }; search: { mode: string } };
const matches = (body: { entry?: Entry[] }) =>
  (body.entry ?? []).filter((e) => e.search.mode === 'match').map((e) => e.resource.id);
const encode = (q: string) => {
  const [path, query] = q.split('?');
  return `/${path}?${query
    .split('&')
    .map((kv) => `${kv.slice(0, kv.indexOf('='))}=${encodeURIComponent(kv.slice(kv.indexOf('=') + 1))}`)
    .join('&')}`;
};
const search = async (q: string) => {
  const res = await s.request('GET', encode(q));
  assert.equal(res.status, 200, res.text);
  return res.body;
};

const V = 'Observation?value-quantity=';

/** [query, the ids it must find (any order)]. */
const CASES: [string, string[]][] = [
  // mass concentration: g/dL, g/L and mg/dL compare with each other
  [`${V}gt100|${UCUM}|g/L`, ['hb1', 'hb3']],
  [`${V}0.12|${UCUM}|kg/L`, ['hb1']],
  [`${V}120|${UCUM}|g/L`, []],
  [`${V}12|${UCUM}|g/dL`, ['hb1']],
  [`${V}9.5|${UCUM}|g/dL`, ['hb2']],
  [`${V}130|${UCUM}|g/L`, ['hb3']],
  [`${V}13000|${UCUM}|mg/dL`, ['hb3']],
  [`${V}ge13|${UCUM}|g/dL`, ['hb3']],
  [`${V}le9.5|${UCUM}|g/dL&code=718-7`, ['hb2']],
  [`${V}lt10|${UCUM}|g/dL&code=718-7`, ['hb2']],
  [`${V}lt10|${UCUM}|g/dL`, ['hb2', 'glu2']],
  [`${V}ap120|${UCUM}|g/L`, ['hb1', 'hb3']],
  [`${V}ne12|${UCUM}|g/dL&code=718-7`, ['hb2', 'hb3']],
  [`${V}12.0|${UCUM}|g/dL`, []],
  // length: cm, m and inches
  [`${V}le1.8|${UCUM}|m`, ['ht1', 'ht3']],
  [`${V}170|${UCUM}|cm`, ['ht1']],
  [`${V}1.70|${UCUM}|m`, ['ht1']],
  [`${V}ap165|${UCUM}|cm`, ['ht1', 'ht3']],
  [`${V}ap170|${UCUM}|cm`, ['ht1', 'ht2', 'ht3']],
  [`${V}gt70|${UCUM}|[in_i]`, ['ht2']],
  [`${V}eq19|${UCUM}|dm`, ['ht2']],
  [`${V}eq190|${UCUM}|cm`, []],
  // temperature converts with its offset
  [`${V}37|${UCUM}|Cel`, ['t1', 't2']],
  [`${V}98.6|${UCUM}|[degF]`, ['t2']],
  [`${V}gt97|${UCUM}|[degF]`, ['t1', 't2']],
  [`${V}gt37.5|${UCUM}|Cel`, []],
  // molar and mass concentrations stay apart (no molecular weight); molar ones convert among themselves
  [`${V}5.4|${UCUM}|mmol/L`, ['glu1']],
  [`${V}gt5000|${UCUM}|umol/L`, ['glu1']],
  [`${V}5400|${UCUM}|umol/L`, []],
  [`${V}gt1|${UCUM}|mmol/L&code=2339-0`, ['glu1']],
  [`${V}gt1|${UCUM}|mg/dL&code=2339-0`, ['glu2']],
  // several values: converted and as-written ones together
  [`${V}170|${UCUM}|cm,1.9||m`, ['ht1', 'ht2']],
  // without a system the unit is matched as written (code or unit), and without a unit the value alone
  [`${V}1.7||m`, ['ns1']],
  [`${V}1.9||m`, ['ht2']],
  [`${V}1.7`, ['ns1']],
  [`${V}170`, ['ht1']],
  [`${V}12||g/dL`, ['hb1']],
  [`${V}120||g/L`, []],
  // another system: exact system and code, no conversion
  [`${V}5|${PILLS}|pill`, ['np1']],
  [`${V}5||pill`, ['np1']],
  [`${V}5|${PILLS}|pills`, []],
  // arbitrary units match only themselves
  [`${V}10|${UCUM}|[IU]/L`, ['iu1']],
  [`${V}0.01|${UCUM}|[IU]/mL`, []],
  // composite parameters: the quantity part converts too
  [`Observation?component-code-value-quantity=8480-6$gt100|${UCUM}|mm[Hg]`, ['bp1', 'bp2']],
  [`Observation?component-code-value-quantity=8480-6$lt20|${UCUM}|kPa`, ['bp1', 'bp2']],
  [`Observation?component-code-value-quantity=8480-6$120|${UCUM}|mm[Hg]`, ['bp1']],
  [`Observation?component-code-value-quantity=8480-6$gt100`, ['bp1']],
  [`Observation?code-value-quantity=718-7$gt100|${UCUM}|g/L`, ['hb1', 'hb3']],
  [`Observation?code-value-quantity=8302-2$le1.8|${UCUM}|m`, ['ht1', 'ht3']],
  [`Observation?code-value-quantity=9999-1$5|${PILLS}|pill`, ['np1']],
];

describe('quantity search converts UCUM units', () => {
  for (const [query, expected] of CASES) {
    test(query, async () => {
      assert.deepEqual(matches(await search(query)).sort(), [...expected].sort());
    });
  }

  test('sorting by a quantity uses the values as written, not their canonical form', async () => {
    const body = await search('Observation?code=8302-2&_sort=value-quantity');
    assert.deepEqual(matches(body), ['ht2', 'ht3', 'ht1']);
  });

  test('a converted quantity written again in another unit is found by its new value only', async () => {
    await s.request('PUT', '/Observation/hb2', obs('hb2', '718-7', ucum(10.5, 'g/dL')));
    assert.deepEqual(matches(await search(`${V}95|${UCUM}|g/L`)), []);
    assert.deepEqual(matches(await search(`${V}105|${UCUM}|g/L`)), ['hb2']);
    await s.request('PUT', '/Observation/hb2', obs('hb2', '718-7', ucum(95, 'g/L')));
  });
});

describe('a unit that is not UCUM in a UCUM search is a clear 400', () => {
  const BAD: [string, RegExp][] = [
    [`${V}5|${UCUM}|mgdL`, /value-quantity.*mgdL/],
    [`${V}5|${UCUM}|pill`, /value-quantity.*pill.*5\|\|pill/],
    [
      `Observation?component-code-value-quantity=8480-6$gt100|${UCUM}|mmHg`,
      /component-code-value-quantity.*mmHg/,
    ],
  ];
  for (const [query, message] of BAD) {
    test(query, async () => {
      const res = await s.request('GET', encode(query));
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.match(JSON.stringify(res.body.issue[0]), message);
    });
  }
});

describe('records indexed before units were converted', () => {
  test('match in their own unit, and in every unit once `chartroom index-ucum` has indexed them', async () => {
    const db = s.running.services.db;
    // What an older version wrote: no canonical quantity rows, no canonical part in composite rows.
    await db.query('DELETE FROM sp_quantity WHERE param < 0');
    await db.query('UPDATE sp_composite SET ucum_code = NULL, ucum_lo = NULL, ucum_hi = NULL');
    assert.deepEqual(matches(await search(`${V}gt100|${UCUM}|g/L`)), [], 'no conversion yet');
    assert.deepEqual(matches(await search(`${V}12|${UCUM}|g/dL`)), ['hb1'], 'the unit as written');
    assert.deepEqual(
      matches(await search(`Observation?component-code-value-quantity=8480-6$gt100|${UCUM}|mm[Hg]`)),
      ['bp1'],
      'composite rows without a canonical part compare by value alone, as before',
    );
    const first = await indexExistingUcum(db);
    assert.equal(first.total, 13, 'the resources with UCUM quantities');
    // a row per converting quantity: under value-quantity or component-value-quantity (combo-value-quantity
    // reads those two's rows); 12 quantities convert ([IU]/L converts to nothing)
    assert.equal(first.added, 12);
    assert.deepEqual(matches(await search(`${V}gt100|${UCUM}|g/L`)).sort(), ['hb1', 'hb3']);
    const combo = `Observation?combo-value-quantity=gt100|${UCUM}|g/L`;
    assert.deepEqual(matches(await search(combo)).sort(), ['hb1', 'hb3']);
    assert.deepEqual(matches(await search(`${V}le1.8|${UCUM}|m`)).sort(), ['ht1', 'ht3']);
    const again = await indexExistingUcum(db);
    assert.equal(again.added, 0, 'a second run adds nothing');
  });
});
