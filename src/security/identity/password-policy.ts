// The password policy of NIST SP 800-63B: long enough, not absurdly long, not a commonly used or easily
// guessed password (the 49,000 most common passwords and zxcvbn's guessability estimate), not the
// username. No composition rules and no forced expiry, as 800-63B advises.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import { FhirError, issue } from '../../platform/errors.js';

let checker: ZxcvbnFactory | undefined;
let commonList: Set<string> | undefined;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/** Throws a 400 FhirError that says what is wrong with the password; returns when it is acceptable. */
export function assertPasswordAcceptable(
  password: string,
  username: string,
  minLength = PASSWORD_MIN_LENGTH,
): void {
  const problems: string[] = [];
  if (password.length < minLength) problems.push(`at least ${minLength} characters are needed`);
  if (password.length > PASSWORD_MAX_LENGTH)
    problems.push(`at most ${PASSWORD_MAX_LENGTH} characters are allowed`);
  commonList ??= new Set((common.dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  if (commonList.has(password.toLowerCase())) problems.push('it is one of the most commonly used passwords');
  if (username && password.toLowerCase().includes(username.toLowerCase()))
    problems.push('it contains the username');
  if (problems.length === 0) {
    checker ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
    const r = checker.check(password.slice(0, 100));
    if (r.score < 3) problems.push('it is too easy to guess (try a longer passphrase of unrelated words)');
  }
  if (problems.length)
    throw new FhirError(
      400,
      issue('invalid', `The password is not acceptable: ${problems.join('; ')}`, 'password'),
    );
}
