// Second opinions on two kinds of issue Medplum's validator reports wrongly on official R4 examples:
// base64Binary values with whitespace (allowed by the R4 regex) and invariants whose FHIRPath,
// evaluated by HL7's fhirpath.js (the reference implementation), is true or empty. Other issues stand.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';

const BASE64_R4 = /^(\s*([0-9a-zA-Z+/=]){4}\s*)+$/;

/** The JSON node an issue expression such as `Media.content.data` or `X.item[0].linkId` points at. */
function nodeAt(resource: unknown, expression: string): unknown {
  const parts = expression.split('.').slice(1);
  let node: unknown = resource;
  for (const part of parts) {
    const m = /^([A-Za-z0-9_]+)(?:\[(\d+)\])?$/.exec(part);
    if (!m || typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[m[1]];
    if (m[2] !== undefined) node = Array.isArray(node) ? node[Number(m[2])] : undefined;
  }
  return node;
}

function isConfirmed(resource: unknown, i: OperationOutcomeIssue): boolean {
  const where = i.expression?.[0];
  const text = i.details?.text ?? '';
  if (where && text === 'Invalid base64Binary format') {
    const v = nodeAt(resource, where);
    return !(typeof v === 'string' && BASE64_R4.test(v));
  }
  if (where && i.code === 'invariant' && i.diagnostics) {
    let expr: string | undefined;
    try {
      expr = (JSON.parse(i.diagnostics) as { fhirpath?: string }).fhirpath;
    } catch {
      return true;
    }
    const node = nodeAt(resource, where);
    if (!expr || node === undefined) return true;
    try {
      const out = fhirpath.evaluate(node as object, expr, undefined, r4Model) as unknown[];
      return out.length === 1 && out[0] === false;
    } catch {
      return true;
    }
  }
  return true;
}

export function confirmIssues(resource: unknown, issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  return issues.filter((i) => i.severity !== 'error' || isConfirmed(resource, i));
}
