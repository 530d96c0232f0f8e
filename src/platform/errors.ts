// The one error type of the domain: it carries a FHIR OperationOutcome and the HTTP status the API maps it to.
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueCode = OperationOutcomeIssue['code'];

export class FhirError extends Error {
  readonly status: number;
  readonly outcome: OperationOutcome;

  constructor(status: number, issues: OperationOutcomeIssue[] | OperationOutcomeIssue) {
    const list = Array.isArray(issues) ? issues : [issues];
    super(list.map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; '));
    this.status = status;
    this.outcome = { resourceType: 'OperationOutcome', issue: list };
  }
}

export function issue(
  code: IssueCode,
  diagnostics: string,
  expression?: string[] | string,
): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = { severity: 'error', code, diagnostics };
  if (expression !== undefined) out.expression = Array.isArray(expression) ? expression : [expression];
  return out;
}

export const badRequest = (msg: string, expr?: string | string[]) =>
  new FhirError(400, issue('invalid', msg, expr));
export const notFound = (msg: string) => new FhirError(404, issue('not-found', msg));
export const gone = (msg: string) => new FhirError(410, issue('deleted', msg));
export const conflict = (msg: string) => new FhirError(409, issue('conflict', msg));
export const preconditionFailed = (msg: string) => new FhirError(412, issue('conflict', msg));
export const unprocessable = (issues: OperationOutcomeIssue[]) => new FhirError(422, issues);
export const unauthorized = (msg: string) => new FhirError(401, issue('login', msg));
export const forbidden = (msg: string) => new FhirError(403, issue('forbidden', msg));
export const notSupported = (msg: string) => new FhirError(501, issue('not-supported', msg));

export function outcomeOf(
  severity: 'information' | 'warning',
  code: IssueCode,
  diagnostics: string,
): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }] };
}
