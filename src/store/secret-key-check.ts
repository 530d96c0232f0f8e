// Refuses to start with a key other than the one the database's sealed values were written with
// (table secret_key_check, migrations/014): a clear error at start instead of a failure on the first read.
import type { SecretBox } from '../platform/crypto/secret-box.js';
import type { Queryable } from '../platform/db/database.js';

const CHECK_TEXT = 'chartroom secret key check';

export class WrongSecretKeyError extends Error {}

export async function verifySecretKey(db: Queryable, box: SecretBox): Promise<void> {
  const known = (
    await db.query<{ key_id: string; check_value: string }>(
      'SELECT key_id, check_value FROM secret_key_check',
    )
  ).rows;
  const mine = known.find((k) => k.key_id === box.keyId);
  if (mine) {
    if (opens(box, mine.check_value, 'key-check')) return;
    throw wrongKey(box, known);
  }
  if (known.length) throw wrongKey(box, known);
  // First start with a key check: a database written before it may already hold TOTP seeds sealed under
  // some key; one of them must open with this key before the key is recorded.
  const seed = (
    await db.query<{ totp_secret: string }>(
      'SELECT totp_secret FROM app_user WHERE totp_secret IS NOT NULL LIMIT 1',
    )
  ).rows[0];
  if (seed && !opens(box, seed.totp_secret)) throw wrongKey(box, []);
  await db.query(
    'INSERT INTO secret_key_check (key_id, check_value) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING',
    [box.keyId, box.seal(CHECK_TEXT, 'key-check')],
  );
}

function opens(box: SecretBox, sealed: string, purpose?: string): boolean {
  try {
    box.open(sealed, purpose);
    return true;
  } catch {
    return false;
  }
}

function wrongKey(box: SecretBox, known: { key_id: string }[]): WrongSecretKeyError {
  const ids = known.map((k) => k.key_id).join(', ');
  return new WrongSecretKeyError(
    `The secret key (CHARTROOM_SECRET_KEY, or secret.key in the data folder) is not the one this database's encrypted values were written with${ids ? ` (key id ${ids}; this key's id is ${box.keyId})` : ` (this key's id is ${box.keyId})`}. Start with the key used before; without it the encrypted TOTP seeds and Social Security numbers cannot be read.`,
  );
}
