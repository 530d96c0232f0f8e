// Compartment search (`Encounter/123/Observation?...`): the filter that confines a search to one
// compartment, after checking that the compartment type exists and can hold the searched type.
import { compartmentTypes, inCompartmentDefinition } from '../../fhir/definitions.js';
import { badRequest } from '../../platform/errors.js';
import type { Filter } from './parse.js';

export function compartmentFilter(compartment: string, id: string, type: string): Filter {
  const known = compartmentTypes();
  if (!known.includes(compartment))
    throw badRequest(
      `${compartment} is not a compartment type: compartment search is for ${known.join(', ')}`,
      'url',
    );
  if (!inCompartmentDefinition(compartment, type))
    throw badRequest(
      `${type} resources are never in a ${compartment} compartment (the R4 CompartmentDefinition names no search parameter for them)`,
      'url',
    );
  return compartment === 'Patient'
    ? { kind: 'compartment', patients: [id] }
    : { kind: 'in-compartment', compartment, id };
}
