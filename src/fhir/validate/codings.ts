// Finds the Codings of a resource whose system is one of a given set, with the path of each
// (`Condition.code.coding[0]`), for the terminology check of coded elements on write.

export interface FoundCoding {
  system: string;
  code: unknown;
  display?: unknown;
  version?: unknown;
  /** FHIRPath-style location of the Coding: `Claim.diagnosis[1].diagnosisCodeableConcept.coding[0]`. */
  path: string;
}

/**
 * Walks the resource once. Any object with a `system` of the set counts as a Coding (Coding, and the
 * system/code pairs of Quantity-like types never use these systems), wherever it sits, contained
 * resources included.
 */
export function findCodings(resource: object, systems: ReadonlySet<string>): FoundCoding[] {
  const out: FoundCoding[] = [];
  // the path is kept as a stack of steps and joined only for a match: most resources have none
  const steps: string[] = [String((resource as { resourceType?: unknown }).resourceType ?? 'Resource')];
  const walk = (node: object): void => {
    if (Array.isArray(node)) {
      const last = steps.length - 1;
      const name = steps[last];
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (typeof v !== 'object' || v === null) continue;
        steps[last] = `${name}[${i}]`;
        walk(v);
      }
      steps[last] = name;
      return;
    }
    const o = node as Record<string, unknown>;
    if (typeof o.system === 'string' && systems.has(o.system))
      out.push({
        system: o.system,
        code: o.code,
        display: o.display,
        version: o.version,
        path: steps.join('.'),
      });
    for (const key in o) {
      const v = o[key];
      if (typeof v !== 'object' || v === null) continue;
      steps.push(key);
      walk(v);
      steps.pop();
    }
  };
  walk(resource);
  return out;
}
