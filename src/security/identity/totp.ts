// Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) with the otpauth library.
import { Secret, TOTP } from 'otpauth';

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, username: string): TOTP {
  return new TOTP({
    issuer: 'Chartroom',
    label: username,
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: Secret.fromBase32(secret),
  });
}

export function totpUri(secret: string, username: string): string {
  return totp(secret, username).toString();
}

const PERIOD_MS = 30_000;

/** True when the code is valid now or one period either side (clock drift). */
export function verifyTotp(secret: string, username: string, code: string): boolean {
  return totpStep(secret, username, code) !== undefined;
}

/** The time step (30 s periods since the epoch) of a valid code, or undefined when it is not valid. */
export function totpStep(
  secret: string,
  username: string,
  code: string,
  now = Date.now(),
): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret, username).validate({ token: code, window: 1, timestamp: now });
  return delta === null ? undefined : Math.floor(now / PERIOD_MS) + delta;
}

/** The code of the current period, or of a given moment. */
export function currentTotp(secret: string, username: string, at = Date.now()): string {
  return totp(secret, username).generate({ timestamp: at });
}
