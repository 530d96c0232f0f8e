// Reads by id that arrive together go to the database together. Under load, many reads are waiting at the
// same moment (50 clients each with a request in flight); each one alone costs the database a statement
// round trip, a wake-up of its backend and a plan execution, which on two cores cost more than the lookup
// itself (PostgreSQL CPU per read was 131 µs for a 44 µs execution). So the reads asked for in one turn of
// the event loop share one statement, and while `maxInFlight` statements run, new reads queue for the next
// one: one read alone is sent at once; a crowd is sent as a few statements of many keys.
//
// Only reads outside a transaction are batched (a transaction's reads must use its connection and
// snapshot). Each read still sees every write committed before it was asked for: its statement starts
// after the read was asked.
import type { Database } from '../platform/db/database.js';

/** The columns a read returns (the same as Repository.read's single-key statement). */
export const READ_COLUMNS = `v.type, v.id, v.version, v.last_updated AS "lastUpdated", v.deleted, v.method, v.content,
       r.patients, r.restricted_to,
       ARRAY(SELECT rp.patient FROM restricted_patient rp WHERE rp.patient = ANY(r.patients)) AS restricted`;

// A LATERAL lookup per key, through the (type, id) index: as a plain join, a table without statistics
// (PGlite, or PostgreSQL before ANALYZE) may be hashed whole.
const BATCH_SQL = `SELECT u.n::int AS n, x.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY u(type, id, n)
  CROSS JOIN LATERAL (
    SELECT ${READ_COLUMNS}
      FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
     WHERE r.type = u.type AND r.id = u.id) x`;

interface Waiting<T> {
  type: string;
  id: string;
  resolve: (row: T | undefined) => void;
  reject: (err: unknown) => void;
}

/** Keys per statement at most. */
const MAX_KEYS = 256;

export class ReadBatcher<T> {
  private queue: Waiting<T>[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly db: Database,
    /** Statements running at once at most; reads asked for meanwhile wait for the next one. */
    private readonly maxInFlight: number,
  ) {}

  /** The current row of type/id, or undefined when there is none. */
  read(type: string, id: string): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ type, id, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // after this turn's I/O callbacks: the reads of every request that arrived in it go in one statement
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, MAX_KEYS);
      this.inFlight++;
      this.run(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async run(batch: Waiting<T>[]): Promise<void> {
    try {
      const r = await this.db.query<T & { n: number }>(
        BATCH_SQL,
        [batch.map((w) => w.type), batch.map((w) => w.id)],
        { prepare: true },
      );
      const byN = new Array<T | undefined>(batch.length);
      for (const row of r.rows) {
        const { n, ...rest } = row;
        byN[n - 1] = rest as unknown as T;
      }
      for (let k = 0; k < batch.length; k++) batch[k].resolve(byN[k]);
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}

const batchers = new WeakMap<Database, ReadBatcher<unknown>>();

/**
 * The batcher of reads of this database. PostgreSQL runs a few statements at once (its pool's connections
 * are shared with everything else); the embedded database runs one statement at a time anyway.
 */
export function readBatcher<T>(db: Database): ReadBatcher<T> {
  let b = batchers.get(db);
  if (!b) {
    b = new ReadBatcher<unknown>(db, db.kind === 'postgres' ? 3 : 1);
    batchers.set(db, b);
  }
  return b as ReadBatcher<T>;
}
