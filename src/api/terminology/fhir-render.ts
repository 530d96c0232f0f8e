// The domain's code detail, validity and expansion rendered as the R4 resources the terminology operations
// return: Parameters for $lookup and $validate-code, a ValueSet with its expansion for $expand.
import { randomUUID } from 'node:crypto';
import type {
  Parameters,
  ParametersParameter,
  ValueSet,
  ValueSetExpansionContains,
} from '@medplum/fhirtypes';
import type {
  AppliedNote,
  CodeDetail,
  ExpandResult,
  ValidateResult,
  ValueSetExpansion,
  ValueSetValidation,
} from '../../terminology/index.js';

type Part = ParametersParameter;

function property(code: string, value: Omit<Part, 'name'>, description?: string): Part {
  const part: Part[] = [
    { name: 'code', valueCode: code },
    { name: 'value', ...value },
  ];
  if (description) part.push({ name: 'description', valueString: description });
  return { name: 'property', part };
}

function noteOrigin(n: AppliedNote): string {
  const where = n.inherited ? `inherited from ${n.level} ${n.source}` : `at this code`;
  return `${where} (Tabular List FY${n.tabularYear})`;
}

/**
 * $lookup output per R4: name, version, display, the short title as a designation, and properties:
 * the standard parent/child/notSelectable/inactive, plus billable and every instructional note that
 * applies (its kind as the property code, where it is printed as the description).
 */
export function lookupParameters(d: CodeDetail, systemName: string, wanted: string[]): Parameters {
  const out: Part[] = [
    { name: 'name', valueString: systemName },
    { name: 'version', valueString: d.version },
    { name: 'display', valueString: d.display },
  ];
  if (d.shortDisplay && d.shortDisplay !== d.display)
    out.push({
      name: 'designation',
      part: [
        {
          name: 'use',
          valueCoding: { code: 'short-description', display: 'Short description (CMS order file)' },
        },
        { name: 'value', valueString: d.shortDisplay },
      ],
    });
  const props: Part[] = [];
  const parent = [...d.hierarchy].reverse().find((h) => h.level === 'category' || h.level === 'subcategory');
  if (parent) props.push(property('parent', { valueCode: parent.code }, parent.display));
  for (const c of d.children) props.push(property('child', { valueCode: c.code }, c.display));
  props.push(property('notSelectable', { valueBoolean: !d.billable }));
  props.push(property('inactive', { valueBoolean: false }));
  props.push(
    property(
      'billable',
      { valueBoolean: d.billable },
      d.billable
        ? 'valid for HIPAA-covered transactions'
        : 'a header: code to a greater level of specificity',
    ),
  );
  props.push(property('effectiveStart', { valueDate: d.effective.start }, `start of version ${d.version}`));
  props.push(property('effectiveEnd', { valueDate: d.effective.end }, `end of version ${d.version}`));
  for (const h of d.hierarchy)
    if (h.level === 'chapter' || h.level === 'block')
      props.push(property(h.level, { valueString: h.code }, h.display));
  for (const n of d.notes) props.push(property(n.kind, { valueString: n.text }, noteOrigin(n)));
  const seventh = d.seventhCharacter;
  if (seventh) {
    for (const c of seventh.definitions)
      props.push(
        property(
          'seventhCharacter',
          { valueString: `${c.char}: ${c.description}` },
          `defined at ${seventh.source}`,
        ),
      );
    props.push(property('placeholderRule', { valueString: seventh.placeholder.rule }));
  }
  if (d.poaExempt !== undefined) props.push(property('poaExempt', { valueBoolean: d.poaExempt }));
  for (const l of d.mceLists ?? []) props.push(property('mceList', { valueString: l }));
  if (d.introduced)
    props.push(
      property(
        'introduced',
        { valueDate: d.introduced.effectiveDate },
        d.introduced.previous.length ? `replaced ${d.introduced.previous.join(', ')}` : undefined,
      ),
    );
  if (d.notesSource) props.push(property('notesSource', { valueString: d.notesSource }));
  const keep = wanted.length ? new Set(wanted) : undefined;
  for (const p of props) if (!keep || keep.has(p.part?.[0]?.valueCode ?? '')) out.push(p);
  return { resourceType: 'Parameters', parameter: out };
}

/**
 * $validate-code output: result, message, display. A header (non-billable) code is "abstract" in FHIR
 * terms: valid only when the caller says abstract codes are allowed (`abstract=true`).
 */
export function validateParameters(
  r: ValidateResult,
  opts: { abstractAllowed: boolean; display?: string },
): Parameters {
  let result = r.valid;
  let message = r.message;
  if (!r.valid && r.problem === 'header-not-billable' && opts.abstractAllowed) {
    result = true;
    message = `${r.code} is a header (not billable) in ${r.version}; accepted because abstract=true.`;
  }
  if (result && opts.display !== undefined && r.display !== undefined) {
    const given = opts.display.trim().toLowerCase();
    if (given !== r.display.toLowerCase()) {
      result = false;
      message = `The display "${opts.display}" is not the display of ${r.code}: "${r.display}".`;
    }
  }
  const out: Part[] = [{ name: 'result', valueBoolean: result }];
  if (message) out.push({ name: 'message', valueString: message });
  if (r.display) out.push({ name: 'display', valueString: r.display });
  out.push({ name: 'code', valueCode: r.code });
  out.push({ name: 'system', valueUri: r.systemUri });
  out.push({ name: 'version', valueString: r.version });
  if (r.problem) out.push({ name: 'problem', valueCode: r.problem });
  for (const s of r.suggestions) out.push({ name: 'suggestion', valueCode: s });
  return { resourceType: 'Parameters', parameter: out };
}

export function expansionValueSet(
  url: string,
  r: ExpandResult,
  params: { filter?: string; count: number },
): ValueSet {
  const parameter: NonNullable<ValueSet['expansion']>['parameter'] = [
    { name: 'system-version', valueUri: `${r.systemUri}|${r.version}` },
    { name: 'offset', valueInteger: r.offset },
    { name: 'count', valueInteger: params.count },
  ];
  if (params.filter) parameter.push({ name: 'filter', valueString: params.filter });
  const contains: ValueSetExpansionContains[] = r.contains.map((c) => ({
    system: c.system,
    version: r.version,
    code: c.code,
    display: c.display,
    ...(c.billable ? {} : { abstract: true }),
  }));
  return {
    resourceType: 'ValueSet',
    url,
    status: 'active',
    expansion: {
      identifier: `urn:uuid:${randomUUID()}`,
      timestamp: new Date().toISOString(),
      total: r.total,
      offset: r.offset,
      parameter,
      contains,
    },
  };
}

/** The expansion of a ValueSet given in the request: the caller's resource with its expansion added. */
export function definitionExpansion(
  given: Record<string, unknown>,
  r: ValueSetExpansion,
  params: { filter?: string; count: number },
): ValueSet {
  const parameter: NonNullable<ValueSet['expansion']>['parameter'] = [
    ...r.versions.map((v) => ({ name: 'system-version', valueUri: `${v.systemUri}|${v.version}` })),
    { name: 'offset', valueInteger: r.offset },
    { name: 'count', valueInteger: params.count },
  ];
  if (params.filter) parameter.push({ name: 'filter', valueString: params.filter });
  const versionOf = new Map(r.versions.map((v) => [v.systemUri, v.version]));
  return {
    ...(given as unknown as ValueSet),
    resourceType: 'ValueSet',
    status: (given.status as ValueSet['status']) ?? 'active',
    expansion: {
      identifier: `urn:uuid:${randomUUID()}`,
      timestamp: new Date().toISOString(),
      total: r.total,
      offset: r.offset,
      parameter,
      contains: r.contains.map((c) => ({
        system: c.system,
        version: versionOf.get(c.system),
        code: c.code,
        display: c.display,
        ...(c.billable ? {} : { abstract: true }),
      })),
    },
  };
}

/** $validate-code against a ValueSet: result, message, and the code as found. */
export function valueSetValidationParameters(r: ValueSetValidation, display?: string): Parameters {
  let result = r.result;
  let message = r.message;
  if (
    result &&
    display !== undefined &&
    r.display !== undefined &&
    display.trim().toLowerCase() !== r.display.toLowerCase()
  ) {
    result = false;
    message = `The display "${display}" is not the display of ${r.code}: "${r.display}".`;
  }
  const out: Part[] = [{ name: 'result', valueBoolean: result }];
  if (message) out.push({ name: 'message', valueString: message });
  if (r.display) out.push({ name: 'display', valueString: r.display });
  out.push({ name: 'code', valueCode: r.code });
  out.push({ name: 'system', valueUri: r.systemUri });
  if (r.version) out.push({ name: 'version', valueString: r.version });
  return { resourceType: 'Parameters', parameter: out };
}
