// Signed JWT access tokens (ES256) with key ids, so keys can rotate: new tokens use the newest key and
// every active key still verifies.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import type { Queryable } from '../../platform/db/database.js';
import { unauthorized } from '../../platform/errors.js';
import { activeKeys, insertKey, retireKey } from '../../store/accounts.js';

export interface Principal {
  username: string;
  roles: string[];
  scope: string;
  /** The session the token belongs to (it dies with it). */
  sid: string;
  /** Expiry (seconds since the epoch) of the token it came from. */
  exp?: number;
  /** The OAuth client the token was issued to (SMART apps and backend services). */
  clientId?: string;
  /** The launched patient, for patient/ scopes (SMART launch/patient). */
  patient?: string;
}

const ISSUER = 'chartroom';

/** Other server processes learn of a rotation or retirement within this time. */
const RELOAD_MS = 60_000;

async function newKey(db: Queryable): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  await insertKey(db, {
    kid: randomUUID(),
    private_jwk: JSON.stringify(await exportJWK(privateKey)),
    public_jwk: JSON.stringify(await exportJWK(publicKey)),
  });
}

export class TokenService {
  private signing!: { kid: string; key: CryptoKey | Uint8Array };
  private verifying = new Map<string, CryptoKey | Uint8Array>();
  /** Public keys of the active keys, as published at /.well-known/jwks.json. */
  publicJwks: JWK[] = [];
  private loadedAt = 0;

  private constructor(
    private readonly db: Queryable,
    readonly lifetime: number,
  ) {}

  static async load(db: Queryable, lifetime: number): Promise<TokenService> {
    const t = new TokenService(db, lifetime);
    await t.reload();
    return t;
  }

  /** Reads the active keys: the newest signs, every active one verifies. */
  async reload(): Promise<void> {
    let keys = await activeKeys(this.db);
    if (keys.length === 0) {
      await newKey(this.db);
      keys = await activeKeys(this.db);
    }
    const verifying = new Map<string, CryptoKey | Uint8Array>();
    const jwks: JWK[] = [];
    for (const k of keys) {
      const pub = JSON.parse(k.public_jwk) as JWK;
      verifying.set(k.kid, await importJWK(pub, 'ES256'));
      jwks.push({ ...pub, kid: k.kid, alg: 'ES256', use: 'sig' });
    }
    const newest = keys[0];
    this.signing = { kid: newest.kid, key: await importJWK(JSON.parse(newest.private_jwk) as JWK, 'ES256') };
    this.verifying = verifying;
    this.publicJwks = jwks;
    this.loadedAt = Date.now();
    this.verified.clear();
  }

  /** Key rotation: a new key signs from now on; tokens signed by the previous keys still verify. */
  async rotate(): Promise<string> {
    await newKey(this.db);
    await this.reload();
    return this.signing.kid;
  }

  /** Retires a key: the tokens it signed stop verifying. False when it is not an active key. */
  async retire(kid: string): Promise<boolean> {
    const done = await retireKey(this.db, kid);
    await this.reload();
    return done;
  }

  async issue(p: Principal, lifetimeSeconds = this.lifetime): Promise<string> {
    if (Date.now() - this.loadedAt > RELOAD_MS) await this.reload();
    const claims: Record<string, unknown> = { roles: p.roles, scope: p.scope, sid: p.sid };
    if (p.clientId) claims.client_id = p.clientId;
    if (p.patient) claims.patient = p.patient;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: this.signing.kid })
      .setIssuer(ISSUER)
      .setSubject(p.username)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(`${Math.min(lifetimeSeconds, this.lifetime)}s`)
      .sign(this.signing.key);
  }

  /** Tokens already verified, until they expire: an ES256 verification costs ~0.1 ms per request. */
  private readonly verified = new Map<string, { principal: Principal; exp: number }>();

  async verify(token: string): Promise<Principal> {
    if (Date.now() - this.loadedAt > RELOAD_MS) await this.reload();
    const hit = this.verified.get(token);
    if (hit && hit.exp > Date.now() / 1000) return hit.principal;
    if (hit) this.verified.delete(token);
    const principal = await this.verifySignature(token);
    if (this.verified.size >= 10_000) this.verified.clear();
    this.verified.set(token, { principal, exp: principal.exp ?? 0 });
    return principal;
  }

  /**
   * A token verified before and not expired, without waiting: undefined when it is not in the cache or the
   * keys are due for a reload (then `verify` decides).
   */
  verifiedCached(token: string): Principal | undefined {
    if (Date.now() - this.loadedAt > RELOAD_MS) return undefined;
    const hit = this.verified.get(token);
    return hit && hit.exp > Date.now() / 1000 ? hit.principal : undefined;
  }

  private async verifySignature(token: string): Promise<Principal & { exp: number }> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          let key = this.verifying.get(header.kid ?? '');
          // another server process may have rotated the key: look again, at most every few seconds
          if (!key && Date.now() - this.loadedAt > 5_000) {
            await this.reload();
            key = this.verifying.get(header.kid ?? '');
          }
          if (!key) throw new Error('unknown key');
          return key;
        },
        { issuer: ISSUER, algorithms: ['ES256'] },
      );
      return {
        username: String(payload.sub),
        roles: (payload.roles as string[]) ?? [],
        scope: String(payload.scope ?? ''),
        sid: String(payload.sid ?? ''),
        exp: Number(payload.exp),
        ...(payload.client_id ? { clientId: String(payload.client_id) } : {}),
        ...(payload.patient ? { patient: String(payload.patient) } : {}),
      };
    } catch {
      throw unauthorized('The access token is invalid or has expired');
    }
  }
}
