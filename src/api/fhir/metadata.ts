// GET /metadata: a CapabilityStatement that says exactly what this server does.
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { allResourceTypes, compartmentTypes } from '../../fhir/definitions.js';
import { paramsFor } from '../../fhir/index/search-params.js';

const SUPPORTED_SEARCH_TYPES = new Set([
  'token',
  'reference',
  'string',
  'date',
  'uri',
  'number',
  'quantity',
  'composite',
]);

/** The terminology operations (src/api/terminology/), by the resource type they are invoked on. */
const OPERATIONS: Record<string, { name: string; definition: string }[]> = {
  CodeSystem: [
    { name: 'lookup', definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup' },
    { name: 'validate-code', definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code' },
  ],
  ValueSet: [
    { name: 'expand', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand' },
    { name: 'validate-code', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code' },
  ],
  // Patient/$everything (api/fhir/everything.ts) and Bulk Data export (api/fhir/bulk-export.ts).
  Patient: [
    { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' },
    { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export' },
  ],
  Group: [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' }],
};

/** Parameters every type takes (the R4 search page's "all resources" parameters this server supports). */
const COMMON_PARAMS: { name: string; type: 'token' }[] = (
  [
    ['_id', 'token'],
    ['_lastUpdated', 'date'],
    ['_tag', 'token'],
    ['_profile', 'uri'],
    ['_security', 'token'],
    ['_source', 'uri'],
    ['_text', 'string'],
    ['_content', 'string'],
    ['_list', 'special'],
    ['_has', 'special'],
    ['_filter', 'special'],
  ] as const
).map(([name, type]) => ({ name, type: type as 'token' }));

const referenceParams = (type: string) =>
  paramsFor(type)
    .filter((p) => p.type === 'reference')
    .map((p) => `${type}:${p.code}`);

export function capabilityStatement(base: string, version: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    kind: 'instance',
    instantiates: ['http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data'],
    software: { name: 'Chartroom', version },
    implementation: { description: 'Chartroom FHIR R4 record store', url: base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        security: {
          // SMART App Launch: where apps find the OAuth endpoints (also in .well-known/smart-configuration)
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: `${base.replace(/\/fhir\/R4$/, '')}/oauth/authorize` },
                { url: 'token', valueUri: `${base.replace(/\/fhir\/R4$/, '')}/oauth/token` },
              ],
            },
          ],
          cors: false,
          service: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' },
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                },
              ],
            },
          ],
          description:
            'Bearer tokens (JWT, ES256) from POST /auth/token, or from SMART on FHIR (App Launch 2.0 and Backend Services: see /.well-known/smart-configuration).',
        },
        interaction: [
          { code: 'transaction' },
          { code: 'batch' },
          { code: 'history-system' },
          { code: 'search-system' },
        ],
        searchParam: COMMON_PARAMS,
        // Compartment search (Patient/1/Observation, Encounter/2/Observation...) for each of these.
        compartment: compartmentTypes().map(
          (c) => `http://hl7.org/fhir/CompartmentDefinition/${c[0].toLowerCase()}${c.slice(1)}`,
        ),
        operation: [
          { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' },
        ],
        resource: allResourceTypes().map((type) => ({
          type: type as 'Patient',
          versioning: 'versioned-update',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalUpdate: true,
          conditionalDelete: 'single',
          interaction: [
            'read',
            'vread',
            'update',
            'patch',
            'delete',
            'history-instance',
            'history-type',
            'create',
            'search-type',
          ].map((code) => ({
            code: code as 'read',
          })),
          searchInclude: ['*', ...referenceParams(type)],
          searchRevInclude: ['*'],
          searchParam: [
            ...COMMON_PARAMS,
            ...paramsFor(type)
              .filter((p) => !p.code.startsWith('_'))
              .filter((p) => SUPPORTED_SEARCH_TYPES.has(p.type))
              .map((p) => ({ name: p.code, type: p.type as 'token', definition: p.definition.url })),
          ],
          ...(OPERATIONS[type] ? { operation: OPERATIONS[type] } : {}),
        })),
      },
    ],
  };
}
