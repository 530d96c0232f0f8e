// sp_text rows for the import pipeline's writer (store/index-rows.ts hands them here): each distinct
// text's tsvector is computed by the database once per import and kept here, so a later file's rows take it
// as it is.
// `to_tsvector` ran once per distinct text of each file: 13,010 times on the Synthea corpus, whose 36,492
// resources have 2,362 distinct narratives and contents (the import computes that many). The vectors' text form reads back exactly
// (tsvector's output and input functions are inverse), so the rows equal those of TEXT_INSERT
// (store/index-rows.ts), which every other write uses.
import type { Queryable } from '../../platform/db/database.js';
import { int4Array, textArray } from '../binary-arrays.js';

/** The vectors of the texts given, in their order. */
const VECTORS = `SELECT to_tsvector('english', t)::text AS v
  FROM unnest($1::text[]) WITH ORDINALITY u(t, i) ORDER BY i`;

/** sp_text rows: rid, and the positions (from 1) of its narrative and content in the vectors given. */
const INSERT = `INSERT INTO sp_text
  WITH d AS (SELECT i, v::tsvector AS v FROM unnest($4::text[]) WITH ORDINALITY d(v, i))
  SELECT u.rid, n.v, c.v FROM unnest($1::bigint[], $2::int[], $3::int[]) u(rid, ni, ci)
    JOIN d n ON n.i = u.ni JOIN d c ON c.i = u.ci`;

/** Texts and vectors kept, in characters: past it the memory starts anew (a corpus of unique notes). */
const MAX_CHARS = 16 * 1024 * 1024;

export class TextVectors {
  private readonly vectors = new Map<string, string>();
  private chars = 0;

  /** Writes the sp_text rows of a batch (narrative and content as strings). */
  async insert(
    tx: Queryable,
    rows: { rid: unknown[] | Uint8Array; narrative: string[]; content: string[] },
  ): Promise<void> {
    if (rows.narrative.length === 0) return;
    const position = new Map<string, number>();
    const at = (t: string) => {
      const k = position.get(t);
      if (k !== undefined) return k;
      position.set(t, position.size + 1);
      return position.size;
    };
    const ni = rows.narrative.map(at);
    const ci = rows.content.map(at);
    const texts = [...position.keys()];
    const unknown = texts.filter((t) => !this.vectors.has(t));
    const fresh = new Map<string, string>();
    if (unknown.length) {
      const r = await tx.query<{ v: string }>(VECTORS, [textArray(unknown)]);
      for (const [k, t] of unknown.entries()) fresh.set(t, r.rows[k].v);
    }
    const vectors = texts.map((t) => fresh.get(t) ?? (this.vectors.get(t) as string));
    await tx.query(INSERT, [rows.rid, int4Array(ni), int4Array(ci), textArray(vectors)]);
    for (const [t, v] of fresh) {
      if (this.chars > MAX_CHARS) {
        this.vectors.clear();
        this.chars = 0;
      }
      this.vectors.set(t, v);
      this.chars += t.length + v.length;
    }
  }
}
