// Who may do what: the roles of a hospital HIM department mapped to permissions per group of resource
// types and interaction, and to the non-FHIR actions. One table, read by every route through
// route-rules.ts; the matrix test (test/api/authorization.test.ts) checks both the table and that every
// route obeys it.
import { patientCompartmentParams } from '../../fhir/definitions.js';

export type Interaction = 'read' | 'write' | 'delete';
export type Action =
  | 'users:manage'
  /** Registers OAuth client applications (SMART apps, backend services). */
  | 'clients:manage'
  /** Rotates and retires the keys that sign access tokens. */
  | 'keys:manage'
  | 'audit:read'
  | 'history:system'
  | 'terminology:use'
  | 'disclosures:record'
  | 'disclosures:account'
  | 'patients:assign'
  | 'break-glass'
  /** Removes a restricting security label from a record it may see and write (lowers its protection). */
  | 'labels:remove'
  /** Bulk Data export ($export) of every record the role may read; only roles that also see SSNs. */
  | 'export:bulk'
  /** Sees Social Security numbers unmasked (minimum necessary: others see the last four digits). */
  | 'phi:ssn';
type Group =
  | 'demographic'
  | 'encounter'
  | 'clinical'
  | 'financial'
  | 'workflow'
  | 'directory'
  | 'privacy'
  | 'other';

const GROUP_OF: Record<string, Group> = {
  Patient: 'demographic',
  RelatedPerson: 'demographic',
  Person: 'demographic',
  Coverage: 'demographic',
  Encounter: 'encounter',
  EpisodeOfCare: 'encounter',
  Appointment: 'encounter',
  AppointmentResponse: 'encounter',
  Claim: 'financial',
  ClaimResponse: 'financial',
  ExplanationOfBenefit: 'financial',
  Invoice: 'financial',
  ChargeItem: 'financial',
  Account: 'financial',
  CoverageEligibilityRequest: 'financial',
  CoverageEligibilityResponse: 'financial',
  PaymentNotice: 'financial',
  PaymentReconciliation: 'financial',
  Task: 'workflow',
  Communication: 'workflow',
  CommunicationRequest: 'workflow',
  Organization: 'directory',
  Practitioner: 'directory',
  PractitionerRole: 'directory',
  Location: 'directory',
  HealthcareService: 'directory',
  Endpoint: 'directory',
  Medication: 'directory',
  Substance: 'directory',
  Device: 'directory',
  AuditEvent: 'privacy',
  Consent: 'privacy',
  Provenance: 'privacy',
};

export function groupOf(type: string): Group {
  const g = GROUP_OF[type];
  if (g) return g;
  return patientCompartmentParams(type).length ? 'clinical' : 'other';
}

type Grants = Partial<Record<Group, string>>; // letters: r read, w write, d delete

const GROUP_COLUMNS: Group[] = [
  'demographic',
  'encounter',
  'clinical',
  'financial',
  'workflow',
  'directory',
  'privacy',
  'other',
];

// One row per role: what it may do on each group of resource types ('-' nothing), and its actions.
// biome-ignore format: an aligned table is the point
const TABLE: [role: string, grants: string, actions: Action[]][] = [
  //                        demo enc  clin fin  work dir  priv other
  ['registrar',              'rw   rw   -    r    -    r    -    -',   ['phi:ssn']],
  ['him-technician',         'rw   rw   rw   r    rw   r    -    r',   ['terminology:use', 'break-glass']],
  ['coder',                  'r    rw   r    rw   rw   r    -    r',   ['terminology:use', 'break-glass']],
  ['cdi-specialist',         'r    r    r    r    rw   r    -    r',   ['terminology:use', 'break-glass']],
  ['provider',               'rw   rw   rw   r    rw   r    -    r',   ['terminology:use', 'break-glass']],
  ['release-of-information', 'r    r    r    r    rw   r    rw   r',   ['disclosures:record', 'disclosures:account', 'break-glass', 'phi:ssn']],
  ['him-director',           'rwd  rwd  rwd  rwd  rwd  rw   r    rw',  ['terminology:use', 'history:system', 'disclosures:record', 'disclosures:account', 'break-glass', 'patients:assign', 'phi:ssn', 'export:bulk', 'labels:remove']],
  ['privacy-officer',        'r    r    r    r    r    r    rw   r',   ['audit:read', 'disclosures:record', 'disclosures:account', 'patients:assign', 'phi:ssn', 'labels:remove']],
  ['system-integration',     'rwd  rwd  rwd  rwd  rwd  rwd  r    rwd', ['terminology:use', 'history:system', 'phi:ssn', 'export:bulk', 'labels:remove']],
  ['administrator',          'rwd  rwd  rwd  rwd  rwd  rwd  rw   rwd', ['users:manage', 'clients:manage', 'keys:manage', 'audit:read', 'history:system', 'terminology:use', 'disclosures:record', 'disclosures:account', 'patients:assign', 'phi:ssn', 'export:bulk', 'labels:remove']],
];

export const ROLE_GRANTS: Record<string, { fhir: Grants; actions: Action[] }> = Object.fromEntries(
  TABLE.map(([role, row, actions]) => {
    const cells = row.trim().split(/\s+/);
    const fhir: Grants = {};
    GROUP_COLUMNS.forEach((g, k) => {
      if (cells[k] !== '-') fhir[g] = cells[k];
    });
    return [role, { fhir, actions }];
  }),
);

export const ROLES = Object.keys(ROLE_GRANTS);

const LETTER: Record<Interaction, string> = { read: 'r', write: 'w', delete: 'd' };

export function mayOnType(roles: string[], type: string, interaction: Interaction): boolean {
  const group = groupOf(type);
  return roles.some((r) => (ROLE_GRANTS[r]?.fhir[group] ?? '').includes(LETTER[interaction]));
}

export function mayDo(roles: string[], action: Action): boolean {
  return roles.some((r) => ROLE_GRANTS[r]?.actions.includes(action));
}
