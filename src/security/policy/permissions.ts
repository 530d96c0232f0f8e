// Who may do what: the roles of a hospital HIM department mapped to permissions per group of resource
// types and interaction, and to the non-FHIR actions. One table, read by every route through
// route-rules.ts; the matrix test (test/api/authorization.test.ts) checks both the table and that every
// route obeys it.
import { patientCompartmentParams } from '../../fhir/definitions.js';

export type Interaction = 'read' | 'write' | 'delete';
export type Action =
  | 'users:manage'
  | 'audit:read'
  | 'history:system'
  | 'terminology:use'
  | 'disclosures:record'
  | 'disclosures:account'
  | 'patients:assign'
  | 'break-glass'
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

const ALL_RW: Grants = {
  demographic: 'rw',
  encounter: 'rw',
  clinical: 'rw',
  financial: 'rw',
  workflow: 'rw',
  directory: 'rw',
  privacy: 'r',
  other: 'rw',
};
const ALL_R: Grants = {
  demographic: 'r',
  encounter: 'r',
  clinical: 'r',
  financial: 'r',
  workflow: 'r',
  directory: 'r',
  privacy: 'r',
  other: 'r',
};

export const ROLE_GRANTS: Record<string, { fhir: Grants; actions: Action[] }> = {
  registrar: {
    fhir: { demographic: 'rw', encounter: 'rw', financial: 'r', directory: 'r' },
    actions: ['phi:ssn'],
  },
  'him-technician': {
    fhir: {
      demographic: 'rw',
      encounter: 'rw',
      clinical: 'rw',
      financial: 'r',
      workflow: 'rw',
      directory: 'r',
      other: 'r',
    },
    actions: ['terminology:use', 'break-glass'],
  },
  coder: {
    fhir: {
      demographic: 'r',
      encounter: 'rw',
      clinical: 'r',
      financial: 'rw',
      workflow: 'rw',
      directory: 'r',
      other: 'r',
    },
    actions: ['terminology:use', 'break-glass'],
  },
  'cdi-specialist': {
    fhir: {
      demographic: 'r',
      encounter: 'r',
      clinical: 'r',
      financial: 'r',
      workflow: 'rw',
      directory: 'r',
      other: 'r',
    },
    actions: ['terminology:use', 'break-glass'],
  },
  provider: {
    fhir: {
      demographic: 'rw',
      encounter: 'rw',
      clinical: 'rw',
      financial: 'r',
      workflow: 'rw',
      directory: 'r',
      other: 'r',
    },
    actions: ['terminology:use', 'break-glass'],
  },
  'release-of-information': {
    fhir: {
      demographic: 'r',
      encounter: 'r',
      clinical: 'r',
      financial: 'r',
      workflow: 'rw',
      directory: 'r',
      privacy: 'rw',
      other: 'r',
    },
    actions: ['disclosures:record', 'disclosures:account', 'break-glass', 'phi:ssn'],
  },
  'him-director': {
    fhir: {
      ...ALL_RW,
      demographic: 'rwd',
      encounter: 'rwd',
      clinical: 'rwd',
      financial: 'rwd',
      workflow: 'rwd',
    },
    actions: [
      'terminology:use',
      'history:system',
      'disclosures:record',
      'disclosures:account',
      'break-glass',
      'patients:assign',
      'phi:ssn',
    ],
  },
  'privacy-officer': {
    fhir: { ...ALL_R, privacy: 'rw' },
    actions: ['audit:read', 'disclosures:record', 'disclosures:account', 'patients:assign', 'phi:ssn'],
  },
  'system-integration': {
    fhir: {
      demographic: 'rwd',
      encounter: 'rwd',
      clinical: 'rwd',
      financial: 'rwd',
      workflow: 'rwd',
      directory: 'rwd',
      privacy: 'r',
      other: 'rwd',
    },
    actions: ['terminology:use', 'history:system', 'phi:ssn'],
  },
  administrator: {
    fhir: {
      demographic: 'rwd',
      encounter: 'rwd',
      clinical: 'rwd',
      financial: 'rwd',
      workflow: 'rwd',
      directory: 'rwd',
      privacy: 'rw',
      other: 'rwd',
    },
    actions: [
      'users:manage',
      'audit:read',
      'history:system',
      'terminology:use',
      'disclosures:record',
      'disclosures:account',
      'patients:assign',
      'phi:ssn',
    ],
  },
};

export const ROLES = Object.keys(ROLE_GRANTS);

const LETTER: Record<Interaction, string> = { read: 'r', write: 'w', delete: 'd' };

export function mayOnType(roles: string[], type: string, interaction: Interaction): boolean {
  const group = groupOf(type);
  return roles.some((r) => (ROLE_GRANTS[r]?.fhir[group] ?? '').includes(LETTER[interaction]));
}

export function mayDo(roles: string[], action: Action): boolean {
  return roles.some((r) => ROLE_GRANTS[r]?.actions.includes(action));
}
