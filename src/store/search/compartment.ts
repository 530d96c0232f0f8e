// Compartment search (`Encounter/123/Observation?...`, `Patient/123/*`): the filter that confines a search
// to one compartment, after checking that the compartment type exists and can hold the searched type(s).
import { allResourceTypes, compartmentTypes, inCompartmentDefinition } from '../../fhir/definitions.js';
import { badRequest } from '../../platform/errors.js';
import type { Filter } from './parse.js';

export function compartmentFilter(compartment: string, id: string, type: string): Filter {
  assertCompartment(compartment);
  if (!inCompartmentDefinition(compartment, type))
    throw badRequest(
      `${type} resources are never in a ${compartment} compartment (the R4 CompartmentDefinition names no search parameter for them)`,
      'url',
    );
  return compartment === 'Patient'
    ? { kind: 'compartment', patients: [id] }
    : { kind: 'in-compartment', compartment, id };
}

function assertCompartment(compartment: string): void {
  const known = compartmentTypes();
  if (!known.includes(compartment))
    throw badRequest(
      `${compartment} is not a compartment type: compartment search is for ${known.join(', ')}`,
      'url',
    );
}

/** The resource types a compartment can hold (`Patient/123/*`): its own type and those it lists parameters for. */
export function compartmentMemberTypes(compartment: string): string[] {
  assertCompartment(compartment);
  return allResourceTypes().filter((t) => inCompartmentDefinition(compartment, t));
}

/** The filter of `[compartment]/[id]/*`: every member type at once (the membership conditions take several types). */
export function wholeCompartmentFilter(compartment: string, id: string): Filter {
  assertCompartment(compartment);
  return compartment === 'Patient'
    ? { kind: 'compartment', patients: [id] }
    : { kind: 'in-compartment', compartment, id };
}
