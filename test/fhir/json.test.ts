// fhir/json.ts: decimals parsed and written back exactly as written, values stay plain numbers, copies keep
// their decimals, a changed value is written normally, and ordinary documents take JSON.parse's path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasUnsafeNumber, parseJson, stringifyJson } from '../../src/fhir/json.js';

const WRITTEN = [
  '1.50',
  '0.0050',
  '1.0e2',
  '1E2',
  '-0',
  '100.00',
  '0.0000001',
  '3.141592653589793238462643',
  '1e400',
];

test('every decimal comes back as written, in objects and arrays, while the parsed values are numbers', () => {
  for (const lexeme of WRITTEN) {
    const text = `{"a":${lexeme},"list":[${lexeme},{"b":${lexeme}}]}`;
    const doc = parseJson(text) as { a: number; list: [number, { b: number }] };
    assert.equal(typeof doc.a, 'number');
    assert.equal(doc.a, Number(lexeme));
    assert.equal(doc.list[1].b, Number(lexeme));
    assert.equal(stringifyJson(doc), text, lexeme);
  }
});

test('spread copies and rest destructuring keep the decimals; a changed value is written normally', () => {
  const doc = parseJson('{"resourceType":"Observation","valueQuantity":{"value":1.50},"x":2.0}') as Record<
    string,
    unknown
  >;
  assert.equal(
    stringifyJson({ ...doc, id: 'a' }),
    '{"resourceType":"Observation","valueQuantity":{"value":1.50},"x":2.0,"id":"a"}',
  );
  const { resourceType: _type, ...rest } = doc;
  assert.equal(stringifyJson(rest), '{"valueQuantity":{"value":1.50},"x":2.0}');
  (doc.valueQuantity as { value: number }).value = 1.6;
  doc.x = 3;
  assert.equal(stringifyJson(doc), '{"resourceType":"Observation","valueQuantity":{"value":1.6},"x":3}');
});

test('random decimals round-trip through parse and stringify (seeded)', () => {
  let seed = 42;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const digits = (n: number) => Array.from({ length: n }, () => next(10)).join('');
  for (let i = 0; i < 20_000; i++) {
    let s = (next(3) === 0 ? '-' : '') + (next(4) === 0 ? '0' : String(1 + next(9)) + digits(next(25)));
    if (next(2)) s += `.${next(3) === 0 ? '0'.repeat(next(10)) : ''}${digits(1 + next(20))}`;
    if (next(5) === 0) s += `${next(2) ? 'e' : 'E'}${['', '+', '-'][next(3)]}${next(30)}`;
    const text = `{"a":[${s},{"b":${s}}],"c":${s}}`;
    assert.equal(stringifyJson(parseJson(text)), text, s);
  }
});

test('ordinary documents need no lossless parse: numbers that round-trip and number-like strings', () => {
  assert.equal(
    hasUnsafeNumber('{"a":1.5,"b":[98.6,0,-3,1234567890123456],"when":"2020-01-01T10:30:00.000Z"}'),
    false,
  );
  assert.equal(hasUnsafeNumber('{"text":"ratio 1:2.50 at 10:30:00.0"}'), false);
  assert.equal(hasUnsafeNumber('{"a":[1, 2.50 ]}'), true);
});

test('bad JSON with a kept decimal throws a SyntaxError-like error, as JSON.parse does', () => {
  assert.throws(() => parseJson('{"a":1.50,}'));
  assert.throws(() => parseJson('{"a":1.50'));
});
