// Code systems whose hierarchy is written in the codes themselves, for the token modifiers `:below` and
// `:above` (subsumption). In ICD-10-CM and WHO ICD-10 a code's parents are its prefixes (E11.65 is
// below E11.6, which is below the category E11); in ICD-10-PCS each of the seven characters narrows the
// one before (0DT is the table of 0DTJ4ZZ). So subsumption needs no hierarchy table: `:below` is a
// prefix match and `:above` the list of a code's prefixes. Other systems (SNOMED CT, LOINC, CPT) need
// their hierarchy, which Chartroom does not hold; those modifiers are refused for them (docs/search.md).

interface PrefixSystem {
  name: string;
  /** Characters of the category, after which ICD-10-CM and ICD-10 write a dot (none for PCS). */
  dotAfter?: number;
  /** The shortest code that is a node of the hierarchy (the category, the PCS section). */
  shortest: number;
}

const PREFIX_SYSTEMS: Readonly<Record<string, PrefixSystem>> = {
  'http://hl7.org/fhir/sid/icd-10-cm': { name: 'ICD-10-CM', dotAfter: 3, shortest: 3 },
  'http://hl7.org/fhir/sid/icd-10': { name: 'ICD-10', dotAfter: 3, shortest: 3 },
  'http://www.cms.gov/Medicare/Coding/ICD10': { name: 'ICD-10-PCS', shortest: 1 },
};

/** The systems `:below` and `:above` work for, for error messages. */
export const HIERARCHY_SYSTEMS = Object.entries(PREFIX_SYSTEMS).map(([uri, s]) => `${s.name} (${uri})`);

export interface CodeHierarchy {
  /** The ways the code (or any code below it) may begin in stored data: with and without the dot. */
  belowPrefixes(code: string): string[];
  /** The code and each code above it, in the forms stored data may use. */
  ancestors(code: string): string[];
}

/** The hierarchy of a system whose codes carry it, or undefined. */
export function codeHierarchy(system: string): CodeHierarchy | undefined {
  const s = PREFIX_SYSTEMS[system.replace(/\/$/, '')];
  if (!s) return undefined;
  const bare = (code: string) => code.trim().toUpperCase().replace(/\./g, '');
  const dotted = (b: string) =>
    s.dotAfter !== undefined && b.length > s.dotAfter
      ? `${b.slice(0, s.dotAfter)}.${b.slice(s.dotAfter)}`
      : b;
  const forms = (b: string) => [...new Set([dotted(b), b])];
  return {
    belowPrefixes: (code) => forms(bare(code)),
    ancestors: (code) => {
      const b = bare(code);
      const out: string[] = [];
      for (let n = Math.min(s.shortest, b.length); n <= b.length; n++) out.push(...forms(b.slice(0, n)));
      return [...new Set(out)];
    },
  };
}

/** The least string greater than every string that starts with `prefix` (for an index range). */
export function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return `${prefix.slice(0, -1)}${String.fromCharCode(last + 1)}`;
}
