// The record store's check of coded elements against the code sets: a Coding of a system Chartroom serves must
// name a code of a loaded version of that system. Unknown codes are errors; a header (non-billable) code is an
// error on a claim and a warning elsewhere; a display that is not the code's title is a warning.
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { type FoundCoding, findCodings } from '../../fhir/validate/codings.js';
import type { CodeEntry, CodeSystemVersion } from '../code-system.js';
import { SYSTEM_NAMES, SYSTEM_URIS, type SystemKey, systemKeyOf } from '../systems.js';
import type { Terminology } from '../terminology.js';

/** The official URIs whose codings are checked (CPT only when a licensed file is loaded). */
export const CHECKED_SYSTEMS: ReadonlySet<string> = new Set(Object.values(SYSTEM_URIS));

/** Resources that bill: a header code there cannot be paid, so it is refused. */
const BILLING_RESOURCES = new Set(['Claim', 'ExplanationOfBenefit']);

const label = (v: CodeSystemVersion) =>
  v.system === 'icd10cm' || v.system === 'icd10pcs' ? `FY${v.version}` : v.version;

const sameText = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

function warning(
  code: OperationOutcomeIssue['code'],
  diagnostics: string,
  expression: string,
): OperationOutcomeIssue {
  return { severity: 'warning', code, diagnostics, expression: [expression] };
}

function error(
  code: OperationOutcomeIssue['code'],
  diagnostics: string,
  expression: string,
): OperationOutcomeIssue {
  return { severity: 'error', code, diagnostics, expression: [expression] };
}

/** Issues for the codings of one resource (errors and warnings; none when every coding is fine). */
export function codingIssues(
  t: Terminology,
  resourceType: string,
  codings: FoundCoding[],
): OperationOutcomeIssue[] {
  const out: OperationOutcomeIssue[] = [];
  for (const c of codings) {
    const sys = systemKeyOf(c.system) as SystemKey;
    if (typeof c.code !== 'string' || c.code === '') continue; // the structure check reports a missing or non-string code
    let versions = t.loadedVersions(sys);
    if (versions.length === 0) continue; // CPT without a licensed file: nothing to check against
    const name = `${SYSTEM_NAMES[sys]} (${SYSTEM_URIS[sys]})`;
    if (typeof c.version === 'string' && c.version) {
      const named = versions.filter((v) => v.version === c.version || `FY${v.version}` === c.version);
      if (named.length) versions = named;
    }
    const found: { v: CodeSystemVersion; e: CodeEntry }[] = [];
    for (const v of versions) {
      const e = v.getCanonical(c.code) ?? v.get(c.code);
      if (e) found.push({ v, e });
    }
    const checked = versions.map(label).join(', ');
    if (found.length === 0) {
      out.push(
        error(
          'code-invalid',
          `"${c.code}" is not a code of ${name} in any loaded version (checked ${checked}).`,
          `${c.path}.code`,
        ),
      );
      continue;
    }
    const official = found[0].e.code;
    if (official !== c.code)
      out.push(
        warning(
          'code-invalid',
          `"${c.code}" is written "${official}" in ${name}; it is accepted as ${official}.`,
          `${c.path}.code`,
        ),
      );
    if (!found.some((f) => f.e.billable)) {
      const kids = found[0].v
        .children(official)
        .slice(0, 5)
        .map((k) => k.code);
      const msg = `${official} is a header in ${name} (${found.map((f) => label(f.v)).join(', ')}), not a billable code${kids.length ? `: code to a more specific one (${kids.join(', ')}${kids.length === 5 ? ', ...' : ''})` : ''}.`;
      out.push(
        BILLING_RESOURCES.has(resourceType)
          ? error('business-rule', msg, `${c.path}.code`)
          : warning('business-rule', msg, `${c.path}.code`),
      );
    }
    if (typeof c.display === 'string' && c.display.trim()) {
      const display = c.display;
      const matches = found.some(
        (f) => sameText(f.e.display, display) || sameText(f.e.shortDisplay, display),
      );
      if (!matches)
        out.push(
          warning(
            'value',
            `Display "${display}" is not the title of ${official} in ${name} ("${found[0].e.display}" in ${label(found[0].v)}).`,
            `${c.path}.display`,
          ),
        );
    }
  }
  return out;
}

/**
 * The record store's code check: finds the codings of the systems served and checks them, getting the code
 * sets only when there is one (a resource without such codings costs one walk over its JSON).
 */
export function codeCheckOf(
  terminology: () => Promise<Terminology>,
): (resource: Resource) => Promise<OperationOutcomeIssue[]> {
  return async (resource) => {
    const found = findCodings(resource, CHECKED_SYSTEMS);
    if (found.length === 0) return [];
    return codingIssues(await terminology(), resource.resourceType, found);
  };
}
