// Is a code valid and billable in a version, and if not, why: unknown, header only, 7th character or placeholder X missing.
import type { CodeSystemVersion } from '../code-system.js';
import { ancestorsOf, type Structure, seventhCharacterRule } from '../notes/code-detail.js';
import { canonicalCode } from '../systems.js';

export type ValidityProblem =
  | 'unknown-code'
  | 'header-not-billable'
  | 'seventh-character-missing'
  | 'seventh-character-invalid'
  | 'placeholder-missing';

export interface CodeValidity {
  code: string;
  valid: boolean;
  billable: boolean;
  display?: string;
  problem?: ValidityProblem;
  message: string;
  suggestions: string[];
}

function withDot(bare: string): string {
  return bare.length > 3 ? `${bare.slice(0, 3)}.${bare.slice(3)}` : bare;
}

/** Every way to bring `body` to 6 characters by inserting placeholder X after the category (T36.01 -> T36.0X1). */
function withPlaceholders(body: string): string[] {
  const need = 6 - body.length;
  if (need <= 0) return [];
  const out = new Set<string>();
  const go = (s: string, left: number, from: number): void => {
    if (left === 0) {
      out.add(s);
      return;
    }
    for (let i = from; i <= s.length; i++) go(`${s.slice(0, i)}X${s.slice(i)}`, left - 1, i + 1);
  };
  go(body, need, 3);
  return [...out];
}

/** ICD-10-CM only: explains an unknown code in terms of the 7th-character and placeholder rules. */
function explainSeventh(
  bare: string,
  version: CodeSystemVersion,
  s: Structure,
): Omit<CodeValidity, 'code' | 'valid' | 'billable'> | undefined {
  const code = withDot(bare);
  const rule =
    seventhCharacterRule(code, s, version) ?? seventhCharacterRule(withDot(bare.slice(0, -1)), s, version);
  if (!rule) return undefined;
  const chars = rule.definitions.map((d) => d.char);
  if (bare.length === 7 && version.get(withDot(bare.slice(0, 6)))) {
    const valid = chars.map((c) => withDot(bare.slice(0, 6) + c)).filter((c) => version.get(c)?.billable);
    return {
      problem: 'seventh-character-invalid',
      message: `"${bare[6]}" is not a valid 7th character for ${withDot(bare.slice(0, 6))} (valid: ${chars.join(', ')}; defined at ${rule.source}).`,
      suggestions: valid,
    };
  }
  if (bare.length < 7) {
    // the last typed character may be meant as the 7th character, with the placeholder X omitted
    const last = bare[bare.length - 1];
    if (bare.length >= 4 && chars.includes(last)) {
      const found = withPlaceholders(bare.slice(0, -1))
        .map((b) => withDot(b + last))
        .filter((c) => version.get(c)?.billable);
      if (found.length > 0) {
        return {
          problem: 'placeholder-missing',
          message: `${code} is missing the placeholder X: the 7th character must be in the 7th position, e.g. ${found[0]}.`,
          suggestions: found,
        };
      }
    }
    const bases = bare.length === 6 ? [bare] : [...new Set([bare.padEnd(6, 'X'), ...withPlaceholders(bare)])];
    const candidates = bases
      .flatMap((b) => chars.map((c) => withDot(b + c)))
      .filter((c) => version.get(c)?.billable);
    if (candidates.length > 0) {
      const ph = bare.length < 6 ? ' with placeholder X' : '';
      return {
        problem: 'seventh-character-missing',
        message: `${code} requires a 7th character${ph} (category ${rule.source}): e.g. ${candidates[0]}.`,
        suggestions: candidates,
      };
    }
  }
  return undefined;
}

export function checkCode(system: CodeSystemVersion, raw: string, s?: Structure): CodeValidity {
  const code = canonicalCode(system.system, raw);
  const e = system.get(code);
  const name = `${system.system.toUpperCase()} ${system.version}`;
  if (e?.billable)
    return {
      code,
      valid: true,
      billable: true,
      display: e.display,
      message: `${code} is valid in ${name}.`,
      suggestions: [],
    };
  if (e) {
    if (system.system === 'icd10cm' && s) {
      const seventh = explainSeventh(code.replace('.', ''), system, s);
      if (seventh) return { code, valid: false, billable: false, display: e.display, ...seventh };
    }
    const kids = system
      .children(code)
      .slice(0, 10)
      .map((c) => c.code);
    return {
      code,
      valid: false,
      billable: false,
      display: e.display,
      problem: 'header-not-billable',
      message: `${code} is a header in ${name}, not valid for billing; code to a greater level of specificity.`,
      suggestions: kids,
    };
  }
  if (system.system === 'icd10cm' && s) {
    const seventh = explainSeventh(code.replace('.', ''), system, s);
    if (seventh) return { code, valid: false, billable: false, ...seventh };
  }
  const parent =
    system.system === 'icd10cm'
      ? ancestorsOf(code)
          .reverse()
          .find((a) => system.get(a))
      : undefined;
  return {
    code,
    valid: false,
    billable: false,
    problem: 'unknown-code',
    message: `${code} is not a code in ${name}.${parent ? ` Nearest existing: ${parent}.` : ''}`,
    suggestions: parent ? [parent] : [],
  };
}
