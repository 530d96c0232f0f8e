// The store sends its column arrays in PostgreSQL's binary format (src/store/binary-arrays.ts). Each encoder
// must give the database exactly what the array of JavaScript values gave it before (an array literal the
// server parsed): checked here value by value on the database of the run, PGlite or PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Database, openDatabase } from '../../src/platform/db/database.js';
import {
  boolArray,
  int4Array,
  int8Array,
  textArray,
  timestamptzArray,
} from '../../src/store/binary-arrays.js';
import { freshStorage, type TestStorage } from '../support/test-server.js';

let storage: TestStorage;
let db: Database;

before(async () => {
  storage = await freshStorage('binary_arrays');
  db = await openDatabase({ databaseUrl: storage.databaseUrl, dataDir: storage.dataDir });
});

after(async () => {
  await db.close();
  await storage.drop();
});

/** Each element as the database sees it (its text, or null), in order, and whether it is NULL. */
async function elements(param: unknown, sqlType: string): Promise<(string | null)[]> {
  const r = await db.query<{ v: string | null }>(
    `SELECT x::text AS v FROM unnest(${sqlType}) WITH ORDINALITY u(x, n) ORDER BY n`,
    [param],
  );
  return r.rows.map((row) => row.v);
}

/** The binary form and the JavaScript array give the same elements, and the expected ones when given. */
async function same(binary: Uint8Array, values: unknown[], sql: string, binarySql = sql): Promise<void> {
  const fromText = await elements(values, sql);
  const fromBinary = await elements(binary, binarySql);
  assert.equal(fromText.length, values.length);
  assert.deepEqual(fromBinary, fromText);
}

const LONG = 'a long value, with "quotes", \\backslashes\\ and {braces} '.repeat(4000);

test('text[]: NULLs, empty strings, quotes, backslashes, braces, "NULL", unicode and long strings arrive as they were', async () => {
  const values = [
    'plain',
    '',
    null,
    'quote " backslash \\ {braces}, commas',
    'NULL',
    '  spaced  ',
    'tab\tnew\nline',
    'unicode: é ß 中文 😀',
    LONG,
  ];
  await same(textArray(values), values, '$1::text[]');
  assert.equal((await elements(textArray(values), '$1::text[]'))[8]?.length, LONG.length);
  // a lone surrogate is written as U+FFFD either way
  await same(textArray(['a\ud800b']), ['a\ud800b'], '$1::text[]');
  await same(textArray([]), [], '$1::text[]');
  await same(textArray([null, null]), [null, null], '$1::text[]');
});

test('int4[] and int8[]: extremes, negatives, NULLs and int8 beyond 2^53', async () => {
  const ints = [0, 1, -1, 2147483647, -2147483648, null, 42];
  await same(int4Array(ints), ints, '$1::int[]');
  await same(int4Array([]), [], '$1::int[]');
  assert.throws(() => int4Array([2147483648]), RangeError);
  assert.throws(() => int4Array([1.5]), RangeError);
  const bigs = [
    '0',
    '1',
    '-1',
    '9223372036854775807',
    '-9223372036854775808',
    '9007199254740993',
    '-9007199254740993',
    '4294967296',
    '-4294967297',
    null,
    '007',
  ];
  await same(int8Array(bigs), bigs, '$1::bigint[]');
  await same(int8Array([]), [], '$1::bigint[]');
  assert.throws(() => int8Array(['1e3']), RangeError);
  assert.throws(() => int8Array(['']), RangeError);
});

test('boolean[] with NULLs', async () => {
  const values = [true, false, null, true];
  await same(boolArray(values), values, '$1::boolean[]');
  await same(boolArray([]), [], '$1::boolean[]');
});

test('timestamptz[]: the index instants, leap days, years 1 to 9999, +-infinity; other forms stay strings', async () => {
  const values = [
    '2019-01-01T00:00:00.000Z',
    '2019-12-31T23:59:59.999Z',
    '2020-02-29T12:34:56.789Z',
    '1900-02-28T00:00:00.000Z',
    '1970-01-01T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z',
    '0001-01-01T00:00:00.000Z',
    '1583-10-15T00:00:00.000Z',
    '2300-06-01T00:00:00.001Z',
    '9999-12-31T23:59:59.999Z',
    'infinity',
    '-infinity',
    null,
  ];
  const binary = timestamptzArray(values);
  assert.ok(binary);
  // compared as epoch seconds too, so that the session's time zone cannot hide a difference
  await same(binary, values, '$1::timestamptz[]');
  const epoch =
    'SELECT extract(epoch FROM x)::text AS v FROM unnest($1::timestamptz[]) WITH ORDINALITY u(x, n) ORDER BY n';
  assert.deepEqual((await db.query(epoch, [binary])).rows, (await db.query(epoch, [values])).rows);
  for (const other of [
    '2019-02-30T00:00:00.000Z',
    '2019-01-01T24:00:00.000Z',
    '2019-01-01T23:59:60.000Z',
    '2019-01-01T00:00:00Z',
    '2019-01-01T00:00:00.000+01:00',
    '0000-01-01T00:00:00.000Z',
    'Infinity',
  ])
    assert.equal(timestamptzArray(['2019-01-01T00:00:00.000Z', other]), undefined, other);
  await same(timestamptzArray([]) as Uint8Array, [], '$1::timestamptz[]');
});

test('numeric columns go as text[] cast by the SQL: the same numbers as a numeric[] literal gave', async () => {
  const values = [
    '1.50',
    '-0.005',
    '100',
    '1e3',
    '-1.5E-7',
    'Infinity',
    '-Infinity',
    'NaN',
    '123456789012345678901234567890.123456789012345678901234567890',
    null,
  ];
  await same(textArray(values), values, '$1::numeric[]', '$1::text[]::numeric[]');
});

test('binary and plain array parameters mix in one statement', async () => {
  const r = await db.query<{ id: string; n: number; at: string | null; ok: boolean }>(
    `SELECT u.id::text, u.n, u.at::text, u.ok
       FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::boolean[]) WITH ORDINALITY u(id, n, at, ok, k)
      ORDER BY k`,
    [int8Array(['5', '6']), [7, 8], ['2019-02-28T00:00:00.000Z', null], boolArray([true, false])],
  );
  assert.deepEqual(
    r.rows.map((x) => [x.id, Number(x.n), x.at === null, x.ok]),
    [
      ['5', 7, false, true],
      ['6', 8, true, false],
    ],
  );
});
