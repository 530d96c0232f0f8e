// Sessions: what a sign-in creates and every access token names. A session ends when its user signs
// out, after `idleSeconds` without a request, or `maxSeconds` after it began. The database holds only
// the SHA-256 of a session id. Checks are cached for a few seconds per process, so revocation reaches
// other server processes within that time and this one at once.
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../platform/db/database.js';
import { unauthorized } from '../../platform/errors.js';
import {
  findSession,
  insertSession,
  revokeSession,
  type SessionRow,
  touchSession,
} from '../../store/accounts.js';

const CACHE_MS = 5_000;
const TOUCH_EVERY_MS = 30_000;

const hash = (sid: string) => createHash('sha256').update(sid).digest('base64url');

export class SessionService {
  private readonly cache = new Map<
    string,
    { row: SessionRow; expiresAt: number; checkedAt: number; lastSeen: number; touchedAt: number }
  >();

  constructor(
    private readonly db: Queryable,
    readonly idleSeconds: number,
    readonly maxSeconds: number,
  ) {}

  async create(username: string, mfa: boolean): Promise<string> {
    const sid = randomBytes(32).toString('base64url');
    await insertSession(this.db, hash(sid), username, this.maxSeconds, mfa);
    return sid;
  }

  /** Throws 401 unless the session is live; counts the request as activity. Returns whose it is. */
  async check(sid: string): Promise<{ username: string; mfa: boolean }> {
    const now = Date.now();
    // Keyed by the session id itself (this process holds it anyway): the SHA-256 is only computed when
    // the database is asked, not on every request.
    let c = this.cache.get(sid);
    if (!c || now - c.checkedAt > CACHE_MS) {
      const row = await findSession(this.db, hash(sid));
      if (!row) throw unauthorized('The session is not known; sign in again');
      const lastSeen = Math.max(new Date(row.last_seen_at).getTime(), c?.lastSeen ?? 0);
      c = {
        row,
        expiresAt: new Date(row.expires_at).getTime(),
        checkedAt: now,
        lastSeen,
        touchedAt: c?.touchedAt ?? now,
      };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(sid, c);
    }
    if (c.row.revoked_at) throw unauthorized('The session has ended (signed out); sign in again');
    if (now > c.expiresAt) throw unauthorized('The session reached its maximum lifetime; sign in again');
    if (now - c.lastSeen > this.idleSeconds * 1000) {
      await this.revoke(sid);
      const idle =
        this.idleSeconds >= 120
          ? `${Math.round(this.idleSeconds / 60)} minutes`
          : `${this.idleSeconds} seconds`;
      throw unauthorized(`The session ended after ${idle} without activity; sign in again`);
    }
    c.lastSeen = now;
    if (now - c.touchedAt > TOUCH_EVERY_MS) {
      c.touchedAt = now;
      await touchSession(this.db, hash(sid));
    }
    return { username: c.row.username, mfa: c.row.mfa };
  }

  /**
   * The same check when it needs no database work: the session checked within the cache time, not
   * revoked, not past its lifetime or idle limit, and not due for its activity mark. Counts the request as
   * activity and returns true; false when `check` must decide (it refuses or asks the database).
   */
  checkCached(sid: string): boolean {
    const c = this.cache.get(sid);
    if (!c) return false;
    const now = Date.now();
    if (now - c.checkedAt > CACHE_MS || c.row.revoked_at || now - c.touchedAt > TOUCH_EVERY_MS) return false;
    if (now > c.expiresAt || now - c.lastSeen > this.idleSeconds * 1000) return false;
    c.lastSeen = now;
    return true;
  }

  async revoke(sid: string): Promise<void> {
    await revokeSession(this.db, hash(sid));
    this.cache.delete(sid);
  }
}
