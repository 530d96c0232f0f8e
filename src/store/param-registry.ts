// Gives every (base, code) search parameter a small stable numeric id, kept in the search_param table.
import { allResourceTypes } from '../fhir/definitions.js';
import type { CompiledParam } from '../fhir/index/search-params.js';
import { paramsFor } from '../fhir/index/search-params.js';
import type { Queryable } from '../platform/db/database.js';
import { patientKeysReady } from './index-patient-keys.js';

export class ParamRegistry {
  private readonly ids = new Map<string, number>();

  static async load(db: Queryable): Promise<ParamRegistry> {
    const reg = new ParamRegistry();
    const wanted = new Map<string, { base: string; code: string; type: string }>();
    for (const type of allResourceTypes())
      for (const p of paramsFor(type))
        wanted.set(`${p.base}.${p.code}`, { base: p.base, code: p.code, type: p.type });
    const existing = await db.query<{ id: number; base: string; code: string }>(
      'SELECT id, base, code FROM search_param',
    );
    for (const r of existing.rows) reg.ids.set(`${r.base}.${r.code}`, r.id);
    const missing = [...wanted.entries()].filter(([k]) => !reg.ids.has(k)).map(([, v]) => v);
    if (missing.length) {
      const added = await db.query<{ id: number; base: string; code: string }>(
        `INSERT INTO search_param (base, code, type)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (base, code) DO UPDATE SET type = EXCLUDED.type
         RETURNING id, base, code`,
        [missing.map((m) => m.base), missing.map((m) => m.code), missing.map((m) => m.type)],
      );
      for (const r of added.rows) reg.ids.set(`${r.base}.${r.code}`, r.id);
    }
    return reg;
  }

  private patientKeys = false;
  private patientKeysCheckedAt = Number.NEGATIVE_INFINITY;

  /**
   * Whether every token row carries its patient (migration 019): true on a database created since, and
   * once `chartroom index-patient-keys` has run on an older one, which a running server notices within
   * half a minute.
   */
  async tokenPatientKeys(q: Queryable): Promise<boolean> {
    if (this.patientKeys) return true;
    const now = Date.now();
    if (now - this.patientKeysCheckedAt < 30_000) return false;
    this.patientKeysCheckedAt = now;
    this.patientKeys = await patientKeysReady(q);
    return this.patientKeys;
  }

  /** The ids as pairs ("base.code", id), to hand to a thread that extracts index rows. */
  entries(): [string, number][] {
    return [...this.ids.entries()];
  }

  /** A registry from `entries()` of a loaded one (no database needed). */
  static fromEntries(entries: [string, number][]): ParamRegistry {
    const reg = new ParamRegistry();
    for (const [k, id] of entries) reg.ids.set(k, id);
    return reg;
  }

  /** Ids by compiled parameter (paramsFor keeps one object per parameter), saving the key string per value. */
  private readonly byParam = new Map<CompiledParam, number>();

  idOf = (p: CompiledParam): number => {
    const known = this.byParam.get(p);
    if (known !== undefined) return known;
    const id = this.ids.get(`${p.base}.${p.code}`);
    if (id === undefined) throw new Error(`search parameter ${p.base}.${p.code} has no id`);
    this.byParam.set(p, id);
    return id;
  };
}
