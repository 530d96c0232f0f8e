// Every search shape of the large-data benchmark (bench/search-shapes.ts), and the compartment searches
// listed below, is served by indexes: with a few Synthea patients loaded and analyzed, the SQL the
// server compiles for each shape is explained with sequential scans discouraged, and no sequential scan
// of a big table may remain (one would mean that no index can serve the shape, and at a million
// resources the query would read whole tables).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { SEARCH_SHAPES, type SearchShape } from '../../bench/search-shapes.js';
import { explainJson, planNodes, searchStatements, seqScansOnBigTables } from '../../bench/search-sql.js';
import type { Queryable } from '../../src/platform/db/database.js';
import { openServices, type Services } from '../../src/server.js';
import { findFiles } from '../../src/store/import/read-files.js';
import { runImport } from '../../src/store/import/run-import.js';
import { corpusFiles } from '../support/corpus.js';
import { freshStorage, type TestStorage, testDb } from '../support/test-server.js';

/** Compartment searches other than Patient's (not in the large-data benchmark): plan-checked here. */
const COMPARTMENT_SHAPES: Pick<SearchShape, 'name' | 'example' | 'samples'>[] = [
  {
    name: 'encounter-compartment-observation-code',
    example: 'Encounter/X/Observation?code=http://loinc.org|8867-4',
    samples: async (db, n) =>
      (
        await db.query<{ encounter: string; code: string }>(
          `SELECT e.target_id AS encounter, t.code
             FROM sp_reference e
             JOIN search_param ep ON ep.id = e.param AND ep.base = 'Observation' AND ep.code = 'encounter'
             JOIN sp_token t ON t.rid = e.rid
             JOIN search_param tp ON tp.id = t.param AND tp.base = 'Observation' AND tp.code = 'code'
            WHERE e.target_type = 'Encounter' ORDER BY random() LIMIT $1`,
          [n],
        )
      ).rows.map(
        (r) =>
          `/Encounter/${r.encounter}/Observation?code=${encodeURIComponent(`http://loinc.org|${r.code}`)}`,
      ),
  },
  {
    name: 'practitioner-compartment-encounter-date',
    example: 'Practitioner/X/Encounter?date=ge2015-01-01&_sort=-date',
    samples: async (db, n) =>
      (
        await db.query<{ practitioner: string }>(
          `SELECT x.target_id AS practitioner
             FROM sp_reference x
             JOIN search_param xp ON xp.id = x.param AND xp.base = 'Encounter' AND xp.code = 'participant'
            WHERE x.target_type = 'Practitioner' ORDER BY random() LIMIT $1`,
          [n],
        )
      ).rows.map((r) => `/Practitioner/${r.practitioner}/Encounter?date=ge2015-01-01&_sort=-date`),
  },
];

/** `[compartment]/[id]/*`: every type of one patient's compartment (anchored on resource_compartment). */
COMPARTMENT_SHAPES.push({
  name: 'patient-compartment-all-types',
  example: 'Patient/X/*?_lastUpdated=gt2015-01-01',
  samples: async (db, n) =>
    (
      await db.query<{ id: string }>(
        "SELECT id FROM resource WHERE type = 'Patient' AND NOT deleted ORDER BY random() LIMIT $1",
        [n],
      )
    ).rows.map((r) => `/Patient/${r.id}/*?_lastUpdated=gt2015-01-01`),
});

/** `_filter` shapes: OR on one parameter and between parameters (incl. a chain), NOT in a patient's search, token parts. */
const FILTER_SHAPES: (Pick<SearchShape, 'name' | 'example' | 'samples'> & { compiled: RegExp })[] = [
  {
    name: 'filter-or-one-parameter',
    compiled: /code = \$\d+ AND \w+\.system = \$\d+\) OR \(/,
    example: 'Observation?_filter=code eq http://loinc.org|A or code eq http://loinc.org|B',
    samples: async (db, n) =>
      (await observationCodePairs(db, n)).map(
        ([a, b]) =>
          `/Observation?${filterQuery(`code eq http://loinc.org|${a} or code eq http://loinc.org|${b}`)}`,
      ),
  },
  {
    name: 'filter-or-two-parameters',
    compiled: /ANY \(ARRAY\(SELECT [\s\S]* UNION ALL SELECT/,
    example: 'Patient?_filter=family eq X or given eq Y',
    samples: async (db, n) =>
      (
        await db.query<{ family: string; given: string }>(
          `SELECT f.value AS family, g.value AS given
             FROM sp_string f JOIN search_param fp ON fp.id = f.param AND fp.code = 'family'
             JOIN resource r ON r.rid = f.rid AND r.type = 'Patient'
             JOIN sp_string g ON g.rid <> f.rid JOIN search_param gp ON gp.id = g.param AND gp.code = 'given'
             JOIN resource q ON q.rid = g.rid AND q.type = 'Patient'
            ORDER BY random() LIMIT $1`,
          [n],
        )
      ).rows.map((r) => `/Patient?${filterQuery(`family eq "${r.family}" or given eq "${r.given}"`)}`),
  },
  {
    name: 'filter-or-chain',
    compiled: /ANY \(ARRAY\(SELECT [\s\S]*JOIN resource[\s\S]* UNION ALL SELECT/,
    example: 'Observation?_filter=subject.family eq X or code eq http://loinc.org|A',
    samples: async (db, n) => {
      const pairs = await observationCodePairs(db, n);
      const families = (
        await db.query<{ value: string }>(
          `SELECT f.value FROM sp_string f JOIN search_param fp ON fp.id = f.param AND fp.code = 'family'
             JOIN resource r ON r.rid = f.rid AND r.type = 'Patient' ORDER BY random() LIMIT $1`,
          [n],
        )
      ).rows;
      return pairs.map(
        ([a], i) =>
          `/Observation?${filterQuery(`subject.family eq "${families[i % families.length].value}" or code eq http://loinc.org|${a}`)}`,
      );
    },
  },
  {
    name: 'filter-patient-not',
    compiled: /NOT \(/,
    example: 'Observation?_filter=patient eq X and not (status eq final)',
    samples: async (db, n) =>
      (
        await db.query<{ id: string }>(
          "SELECT id FROM resource WHERE type = 'Patient' AND NOT deleted ORDER BY random() LIMIT $1",
          [n],
        )
      ).rows.map(
        (r) => `/Observation?${filterQuery(`patient eq Patient/${r.id} and not (status eq final)`)}`,
      ),
  },
  {
    name: 'filter-token-parts',
    compiled: /\w+\.system = \$\d+ AND \w+\.code = \$\d+/,
    example: 'Observation?_filter=code[system eq http://loinc.org].code eq A',
    samples: async (db, n) =>
      (await observationCodePairs(db, n)).map(
        ([a]) => `/Observation?${filterQuery(`code[system eq http://loinc.org].code eq ${a}`)}`,
      ),
  },
];

const filterQuery = (f: string) => new URLSearchParams([['_filter', f]]).toString();

/** Pairs of LOINC codes of observations, picked at random. */
async function observationCodePairs(db: Queryable, n: number): Promise<[string, string][]> {
  const codes = (
    await db.query<{ code: string }>(
      `SELECT t.code FROM sp_token t JOIN search_param sp ON sp.id = t.param AND sp.base = 'Observation' AND sp.code = 'code'
        WHERE t.system = 'http://loinc.org' ORDER BY random() LIMIT $1`,
      [2 * n],
    )
  ).rows.map((r) => r.code);
  return Array.from({ length: Math.floor(codes.length / 2) }, (_, i) => [codes[2 * i], codes[2 * i + 1]]);
}

if (testDb !== 'postgres') {
  test('query plans of the benchmarked search shapes', {
    skip: 'checked on PostgreSQL only: PGlite runs the same SQL, and the plans that matter are those of the production database',
  }, () => {});
} else {
  describe('the benchmarked search shapes use indexes on the big tables', () => {
    let storage: TestStorage;
    let services: Services;
    let session: pg.Client;

    before(async () => {
      storage = await freshStorage('plans');
      services = await openServices({ databaseUrl: storage.databaseUrl, dataDir: storage.dataDir });
      // Eight patients with their encounters, observations, conditions and claims.
      const files = corpusFiles('synthea-fhir-r4')
        .filter((f) => !/Information/.test(f))
        .slice(0, 8);
      const report = await runImport(services.repo, services.db, findFiles(files));
      assert.equal(report.failedFiles, 0);
      session = new pg.Client({ connectionString: storage.databaseUrl });
      await session.connect();
      await session.query('ANALYZE');
    });

    after(async () => {
      await session?.end();
      await services?.db.close();
      await storage?.drop();
    });

    for (const shape of FILTER_SHAPES)
      test(`${shape.name}: the _filter is compiled into the SQL (${shape.compiled})`, async () => {
        const [path] = await shape.samples(session, 1);
        const statements = await searchStatements(services.repo.params, path);
        assert.match(statements[statements.length - 1].sql, shape.compiled);
      });

    for (const shape of [...SEARCH_SHAPES, ...COMPARTMENT_SHAPES, ...FILTER_SHAPES]) {
      test(`${shape.name} (${shape.example}): no sequential scan of a big table, as administrator or as a user with restrictions`, async () => {
        const paths = await shape.samples(session, 3);
        assert.ok(paths.length > 0, 'the loaded data holds values for this shape');
        for (const path of paths) {
          for (const restricted of [false, true]) {
            const statements = await searchStatements(services.repo.params, path, {
              restricted,
              db: services.db,
            });
            assert.ok(statements.length > 0, `the search ${path} runs SQL`);
            const indexes = new Set<string>();
            for (const s of statements) {
              const plan = await explainJson(session, s, { indexesPreferred: true });
              const nodes = planNodes(plan).map((n) =>
                [n['Node Type'], n['Relation Name'], n['Index Name']].filter(Boolean).join(' '),
              );
              for (const n of planNodes(plan)) if (n['Index Name']) indexes.add(n['Index Name']);
              const who = restricted ? ' (restricted user)' : '';
              assert.deepEqual(
                seqScansOnBigTables(plan),
                [],
                `${path}${who}:\n${s.sql}\nplan: ${nodes.join(' | ')}`,
              );
            }
            // A patient's search by code starts from that patient's rows of that code (migration 019).
            if ('group' in shape && shape.group === 'patient-compartment')
              assert.ok(indexes.has('sp_token_patient'), `${path}: indexes used: ${[...indexes].join(', ')}`);
          }
        }
      });
    }

    test('the check finds a sequential scan when no index can serve a query', async () => {
      // A search on the JSON text itself: no index covers it, so the planner has to read the table.
      const plan = await explainJson(
        session,
        { sql: "SELECT rid FROM resource_version WHERE content LIKE '%Smith%'", values: [] },
        { indexesPreferred: true },
      );
      assert.deepEqual(seqScansOnBigTables(plan), ['Seq Scan on resource_version']);
    });
  });
}
