// GET /metadata: a CapabilityStatement that says exactly what this server does.
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { allResourceTypes } from '../../fhir/definitions.js';
import { paramsFor } from '../../fhir/index/search-params.js';

const SUPPORTED_SEARCH_TYPES = new Set(['token', 'reference', 'string', 'date', 'uri', 'number', 'quantity']);

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
};

export function capabilityStatement(base: string, version: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    kind: 'instance',
    software: { name: 'Chartroom', version },
    implementation: { description: 'Chartroom FHIR R4 record store', url: base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' },
              ],
            },
          ],
          description: 'Bearer tokens (JWT, ES256) from POST /auth/token.',
        },
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
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
          searchParam: [
            { name: '_id', type: 'token' },
            { name: '_lastUpdated', type: 'date' },
            ...paramsFor(type)
              .filter((p) => SUPPORTED_SEARCH_TYPES.has(p.type))
              .map((p) => ({ name: p.code, type: p.type as 'token', definition: p.definition.url })),
          ],
          ...(OPERATIONS[type] ? { operation: OPERATIONS[type] } : {}),
        })),
      },
    ],
  };
}
