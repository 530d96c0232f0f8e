// PKCE (RFC 7636), S256 only as SMART App Launch 2.0 requires.
import { createHash, timingSafeEqual } from 'node:crypto';

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
export const CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

export function verifierMatches(verifier: string, challenge: string): boolean {
  if (!VERIFIER.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** One-way hash under which codes, refresh tokens and client secrets are stored. */
export const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
