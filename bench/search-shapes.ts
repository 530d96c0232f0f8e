// The search shapes the large-data benchmark measures (bench/search.ts), each with its target and a way to
// pick parameter values from the loaded data so that every request finds something. The query-plan test
// (test/store/query-plans.test.ts) checks the plan of every shape listed here, so a shape added to the
// benchmark is plan-checked too.
import type { Queryable } from '../src/platform/db/database.js';

export interface SearchShape {
  name: string;
  /** The form as the issue writes it. */
  example: string;
  group: 'patient-compartment' | 'population';
  targetP95Ms: number;
  /**
   * Up to n request paths below the FHIR base (e.g. `/Observation?patient=...`), with values taken from
   * the data (rows picked at random, so frequent values come up as often as they occur).
   */
  samples(db: Queryable, n: number): Promise<string[]>;
}

const q = (pairs: [string, string][]) => new URLSearchParams(pairs).toString();

/** Values of the rows of one search parameter of one type, from resources picked at random. */
async function pick<T>(db: Queryable, sql: string, values: unknown[]): Promise<T[]> {
  return (await db.query<T>(sql, values)).rows;
}

async function observationPatientCodes(db: Queryable, n: number) {
  return pick<{ patient: string; code: string }>(
    db,
    `SELECT r.patients[1] AS patient, t.code
       FROM resource r
       JOIN sp_token t ON t.rid = r.rid
       JOIN search_param sp ON sp.id = t.param AND sp.base = 'Observation' AND sp.code = 'code'
      WHERE r.type = 'Observation' AND NOT r.deleted AND t.system = 'http://loinc.org'
        AND cardinality(r.patients) = 1
      ORDER BY random() LIMIT $1`,
    [n],
  );
}

export const SEARCH_SHAPES: SearchShape[] = [
  {
    name: 'observation-patient-code-sorted',
    example: 'Observation?patient=X&code=http://loinc.org|8867-4&_sort=-date&_count=20',
    group: 'patient-compartment',
    targetP95Ms: 10,
    samples: async (db, n) =>
      (await observationPatientCodes(db, n)).map(
        (r) =>
          `/Observation?${q([
            ['patient', r.patient],
            ['code', `http://loinc.org|${r.code}`],
            ['_sort', '-date'],
            ['_count', '20'],
          ])}`,
      ),
  },
  {
    name: 'patient-compartment-observation-code',
    example: 'Patient/X/Observation?code=http://loinc.org|8867-4',
    group: 'patient-compartment',
    targetP95Ms: 10,
    samples: async (db, n) =>
      (await observationPatientCodes(db, n)).map(
        (r) => `/Patient/${r.patient}/Observation?${q([['code', `http://loinc.org|${r.code}`]])}`,
      ),
  },
  {
    name: 'condition-code',
    example: 'Condition?code=http://snomed.info/sct|44054006&_count=20',
    group: 'population',
    targetP95Ms: 50,
    samples: async (db, n) =>
      (
        await pick<{ system: string; code: string }>(
          db,
          `SELECT t.system, t.code
             FROM resource r
             JOIN sp_token t ON t.rid = r.rid
             JOIN search_param sp ON sp.id = t.param AND sp.base = 'Condition' AND sp.code = 'code'
            WHERE r.type = 'Condition' AND NOT r.deleted AND t.system IS NOT NULL
            ORDER BY random() LIMIT $1`,
          [n],
        )
      ).map(
        (r) =>
          `/Condition?${q([
            ['code', `${r.system}|${r.code}`],
            ['_count', '20'],
          ])}`,
      ),
  },
  {
    name: 'patient-name-birthdate',
    example: 'Patient?name=smi&birthdate=ge1960',
    group: 'population',
    targetP95Ms: 50,
    // The first three letters of a patient's family name, and a year up to 30 before the birth.
    samples: async (db, n) =>
      (
        await pick<{ prefix: string; year: number }>(
          db,
          `SELECT lower(left(v.content::jsonb #>> '{name,0,family}', 3)) AS prefix,
                  extract(year FROM (v.content::jsonb ->> 'birthDate')::date)::int - floor(random() * 30)::int AS year
             FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
            WHERE r.type = 'Patient' AND NOT r.deleted
            ORDER BY random() LIMIT $1`,
          [n],
        )
      ).map(
        (r) =>
          `/Patient?${q([
            ['name', r.prefix],
            ['birthdate', `ge${r.year}`],
          ])}`,
      ),
  },
  {
    name: 'encounter-date-month',
    example: 'Encounter?date=ge2019-01-01&date=lt2019-02-01',
    group: 'population',
    targetP95Ms: 50,
    // The month of an encounter picked at random.
    samples: async (db, n) =>
      (
        await pick<{ month: string; next: string }>(
          db,
          `SELECT to_char(date_trunc('month', d.lo), 'YYYY-MM-DD') AS month,
                  to_char(date_trunc('month', d.lo) + interval '1 month', 'YYYY-MM-DD') AS next
             FROM resource r
             JOIN sp_date d ON d.rid = r.rid
             JOIN search_param sp ON sp.id = d.param AND sp.base = 'Encounter' AND sp.code = 'date'
            WHERE r.type = 'Encounter' AND NOT r.deleted
            ORDER BY random() LIMIT $1`,
          [n],
        )
      ).map(
        (r) =>
          `/Encounter?${q([
            ['date', `ge${r.month}`],
            ['date', `lt${r.next}`],
          ])}`,
      ),
  },
];
