// Signing in with a password, and the first administrator of a fresh install.
import type { Queryable } from '../../platform/db/database.js';
import { unauthorized } from '../../platform/errors.js';
import { countUsers, findUser, insertUser } from '../../store/accounts.js';
import { generatePassword, hashPassword, verifyPassword } from './passwords.js';

export const ADMIN_ROLE = 'administrator';

/**
 * Creates the administrator when no user exists. Returns the password when this call generated it, so
 * the caller can show it once; returns undefined when an account existed or the operator set it.
 */
export async function ensureAdministrator(
  db: Queryable,
  configured?: string,
): Promise<{ username: string; generatedPassword?: string } | undefined> {
  if ((await countUsers(db)) > 0) return undefined;
  const password = configured ?? generatePassword();
  await insertUser(db, 'admin', await hashPassword(password), [ADMIN_ROLE]);
  return { username: 'admin', generatedPassword: configured ? undefined : password };
}

export async function signIn(
  db: Queryable,
  username: string,
  password: string,
): Promise<{ username: string; roles: string[] }> {
  const user = await findUser(db, username);
  // Verify even for unknown users so that timing does not tell which usernames exist.
  const ok = await verifyPassword(
    password,
    user?.password_hash ??
      'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  );
  if (!user || !ok || user.disabled) throw unauthorized('Unknown user or wrong password');
  return { username: user.username, roles: user.roles };
}
