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

/** True when the code is valid now or one period either side (clock drift). */
export function verifyTotp(secret: string, username: string, code: string): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  return totp(secret, username).validate({ token: code, window: 1 }) !== null;
}

export function currentTotp(secret: string, username: string): string {
  return totp(secret, username).generate();
}
