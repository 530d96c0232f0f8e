// Signing in: password (scrypt), lockout after repeated failures, and the TOTP second factor, which
// privileged roles must use. Also the first administrator of a fresh install.
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import type { Queryable } from '../../platform/db/database.js';
import { FhirError, issue, unauthorized } from '../../platform/errors.js';
import {
  claimTotpStep,
  countUsers,
  findUser,
  insertUser,
  recordFailedSignIn,
  recordSuccessfulSignIn,
} from '../../store/accounts.js';
import { generatePassword, hashPassword, verifyPassword } from './passwords.js';
import { totpStep } from './totp.js';

export const ADMIN_ROLE = 'administrator';
/** Roles whose users must sign in with a second factor (CHARTROOM_MFA=privileged). */
export const PRIVILEGED_ROLES = ['administrator', 'privacy-officer', 'him-director', 'system-integration'];

export interface SignInPolicy {
  lockoutAttempts: number;
  lockoutSeconds: number;
  mfa: 'privileged' | 'all' | 'off';
}

export interface SignedIn {
  username: string;
  roles: string[];
  /** A second factor was checked. */
  mfa: boolean;
  /** The user must set up a second factor before doing anything else. */
  enrollmentOnly: boolean;
}

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

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export async function signIn(
  db: Queryable,
  box: SecretBox,
  policy: SignInPolicy,
  username: string,
  password: string,
  totpCode?: string,
): Promise<SignedIn> {
  const user = await findUser(db, username);
  if (user?.locked_until && new Date(user.locked_until).getTime() > Date.now()) {
    throw new FhirError(
      401,
      issue(
        'throttled',
        `The account is locked after ${policy.lockoutAttempts} failed sign-ins; try again after ${new Date(user.locked_until).toISOString()}`,
      ),
    );
  }
  // Verify even for unknown users so that timing does not tell which usernames exist.
  const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
  if (!user || !ok || user.disabled) {
    if (user) await recordFailedSignIn(db, username, policy.lockoutAttempts, policy.lockoutSeconds);
    throw unauthorized('Unknown user or wrong password');
  }
  let mfa = false;
  if (user.totp_enabled && user.totp_secret) {
    if (!totpCode)
      throw new FhirError(
        401,
        issue('login', 'A one-time code from the authenticator app is required (totp)', 'totp'),
      );
    const step = totpStep(box.open(user.totp_secret), username, totpCode);
    if (step === undefined) {
      await recordFailedSignIn(db, username, policy.lockoutAttempts, policy.lockoutSeconds);
      throw new FhirError(401, issue('login', 'The one-time code is wrong or has expired', 'totp'));
    }
    if (!(await claimTotpStep(db, username, step))) {
      await recordFailedSignIn(db, username, policy.lockoutAttempts, policy.lockoutSeconds);
      throw new FhirError(
        401,
        issue('login', 'This one-time code was already used to sign in; wait for the next code', 'totp'),
      );
    }
    mfa = true;
  }
  await recordSuccessfulSignIn(db, username);
  const mustUseMfa =
    policy.mfa === 'all' ||
    (policy.mfa === 'privileged' && user.roles.some((r) => PRIVILEGED_ROLES.includes(r)));
  return { username, roles: user.roles, mfa, enrollmentOnly: mustUseMfa && !mfa };
}
