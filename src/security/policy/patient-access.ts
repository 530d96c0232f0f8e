// Which patients a user may see: everyone, except patients whose records carry a restricting security
// label; those only with a care relationship, a live break-the-glass grant, or the privacy officer's
// role (who reviews such access). The store applies the answer inside reads, searches and history, so
// that hidden records are not counted or paged over.

export { RESTRICTING_LABELS, restrictionLabels } from '../../fhir/security-labels.js';

export const EXEMPT_ROLES = ['privacy-officer'];

/** What one request may see of restricted patients. `allowed` is loaded on first need. */
export interface PatientScope {
  username: string;
  exempt: boolean;
  allowed: () => Promise<string[]>;
}
