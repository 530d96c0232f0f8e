// Builds the FHIR AuditEvent (DICOM/HL7 codes) recorded for every request that touches the API.
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import type { AuditRow } from '../../store/audit-log.js';

export interface AccessRecord {
  username?: string;
  /** C create, R read, U update, D delete, E execute (search, operations). */
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  /** A short name of the interaction, e.g. read, search-type, transaction, sign-in. */
  interaction: string;
  path: string;
  status: number;
  clientIp?: string;
  entities: string[];
  patients: string[];
}

export function toAuditEvent(a: AccessRecord, recorded: string, id: string = randomUUID()): AuditEvent {
  const success = a.status < 400;
  const isLogin = a.interaction.startsWith('sign-in');
  return {
    resourceType: 'AuditEvent',
    id,
    type: isLogin
      ? {
          system: 'http://dicom.nema.org/resources/ontology/DCM',
          code: '110114',
          display: 'User Authentication',
        }
      : {
          system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
          code: 'rest',
          display: 'RESTful Operation',
        },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: a.interaction }],
    action: a.action,
    recorded,
    outcome: success ? '0' : a.status >= 500 ? '8' : '4',
    agent: [
      {
        who: a.username
          ? { identifier: { value: a.username }, display: a.username }
          : { display: 'anonymous' },
        requestor: true,
        network: a.clientIp ? { address: a.clientIp, type: '2' } : undefined,
      },
    ],
    source: { observer: { display: 'Chartroom' } },
    entity: [
      ...a.entities.map((e) => ({ what: { reference: e } })),
      ...a.patients.map((p) => ({
        what: { reference: `Patient/${p}` },
        role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
      })),
      { description: `${a.path} -> ${a.status}` },
    ],
  };
}

/** The trail's row for an access: the AuditEvent and the columns reports filter on, with its id and time. */
export function auditRow(a: AccessRecord, recorded = new Date().toISOString()): AuditRow {
  const id = randomUUID();
  return {
    id,
    recorded,
    username: a.username,
    action: a.interaction,
    outcome: String(a.status),
    patients: a.patients,
    content: auditEventJson(a, recorded, id),
  };
}

const q = JSON.stringify;
const REST_TYPE = q({
  system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
  code: 'rest',
  display: 'RESTful Operation',
});
const LOGIN_TYPE = q({
  system: 'http://dicom.nema.org/resources/ontology/DCM',
  code: '110114',
  display: 'User Authentication',
});
const PATIENT_ROLE = q({
  system: 'http://terminology.hl7.org/CodeSystem/object-role',
  code: '1',
  display: 'Patient',
});

/**
 * JSON.stringify(toAuditEvent(a, recorded, id)), the same text written without building the object: it
 * runs for every request (test/security/audit-event.test.ts holds the two equal).
 */
export function auditEventJson(a: AccessRecord, recorded: string, id: string): string {
  const outcome = a.status < 400 ? '0' : a.status >= 500 ? '8' : '4';
  const who = a.username
    ? `{"identifier":{"value":${q(a.username)}},"display":${q(a.username)}}`
    : '{"display":"anonymous"}';
  const network = a.clientIp ? `,"network":{"address":${q(a.clientIp)},"type":"2"}` : '';
  let entity = '';
  for (const e of a.entities) entity += `{"what":{"reference":${q(e)}}},`;
  for (const p of a.patients) entity += `{"what":{"reference":${q(`Patient/${p}`)}},"role":${PATIENT_ROLE}},`;
  return (
    `{"resourceType":"AuditEvent","id":${q(id)},"type":${a.interaction.startsWith('sign-in') ? LOGIN_TYPE : REST_TYPE},` +
    `"subtype":[{"system":"http://hl7.org/fhir/restful-interaction","code":${q(a.interaction)}}],` +
    `"action":${q(a.action)},"recorded":${q(recorded)},"outcome":"${outcome}",` +
    `"agent":[{"who":${who},"requestor":true${network}}],"source":{"observer":{"display":"Chartroom"}},` +
    `"entity":[${entity}{"description":${q(`${a.path} -> ${a.status}`)}}]}`
  );
}
