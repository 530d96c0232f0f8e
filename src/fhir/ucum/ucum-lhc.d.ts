// The part of the NLM's UCUM library (@lhncbc/ucum-lhc, plain JavaScript) that fhir/ucum uses.
declare module '@lhncbc/ucum-lhc' {
  interface ParsedUnit {
    isSpecial_: boolean;
    isArbitrary_: boolean;
    /** The power of mol in the unit (the library counts mol as Avogadro's number, dimensionless). */
    moleExp_: number;
  }
  interface BaseUnitsResult {
    status: 'succeeded' | 'invalid' | 'failed' | 'error';
    msg: string[];
    magnitude?: number;
    unitToExp?: Record<string, number>;
    fromUnitIsSpecial?: boolean;
  }
  interface UcumLhcUtils {
    convertToBaseUnits(fromUnit: string, fromVal: number): BaseUnitsResult;
    getSpecifiedUnit(
      uName: string,
      valConv: 'validate' | 'convert',
      suggest?: boolean,
    ): { status: string; unit?: ParsedUnit | null; retMsg?: string[] };
  }
  const ucum: { UcumLhcUtils: { getInstance(): UcumLhcUtils } };
  export default ucum;
}
