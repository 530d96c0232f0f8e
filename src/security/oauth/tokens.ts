// Signed JWT access tokens (ES256) with key ids, so keys can rotate: new tokens use the newest key and
// every active key still verifies.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import type { Queryable } from '../../platform/db/database.js';
import { unauthorized } from '../../platform/errors.js';
import { activeKeys, insertKey } from '../../store/accounts.js';

export interface Principal {
  username: string;
  roles: string[];
  scope: string;
  /** The session the token belongs to (it dies with it). */
  sid: string;
  /** Expiry (seconds since the epoch) of the token it came from. */
  exp?: number;
}

const ISSUER = 'chartroom';

export class TokenService {
  private constructor(
    private readonly signing: { kid: string; key: CryptoKey | Uint8Array },
    private readonly verifying: Map<string, CryptoKey | Uint8Array>,
    readonly lifetime: number,
  ) {}

  static async load(db: Queryable, lifetime: number): Promise<TokenService> {
    let keys = await activeKeys(db);
    if (keys.length === 0) {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const kid = randomUUID();
      await insertKey(db, {
        kid,
        private_jwk: JSON.stringify(await exportJWK(privateKey)),
        public_jwk: JSON.stringify(await exportJWK(publicKey)),
      });
      keys = await activeKeys(db);
    }
    const verifying = new Map<string, CryptoKey | Uint8Array>();
    for (const k of keys) verifying.set(k.kid, await importJWK(JSON.parse(k.public_jwk) as JWK, 'ES256'));
    const newest = keys[0];
    return new TokenService(
      { kid: newest.kid, key: await importJWK(JSON.parse(newest.private_jwk) as JWK, 'ES256') },
      verifying,
      lifetime,
    );
  }

  async issue(p: Principal, lifetimeSeconds = this.lifetime): Promise<string> {
    return new SignJWT({ roles: p.roles, scope: p.scope, sid: p.sid })
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
    const hit = this.verified.get(token);
    if (hit && hit.exp > Date.now() / 1000) return hit.principal;
    if (hit) this.verified.delete(token);
    const principal = await this.verifySignature(token);
    if (this.verified.size >= 10_000) this.verified.clear();
    this.verified.set(token, { principal, exp: principal.exp ?? 0 });
    return principal;
  }

  private async verifySignature(token: string): Promise<Principal & { exp: number }> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const key = this.verifying.get(header.kid ?? '');
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
      };
    } catch {
      throw unauthorized('The access token is invalid or has expired');
    }
  }
}
