// US federal fiscal years: ICD-10-CM/PCS releases run October 1 to September 30 and are named by the year they end in.
export interface EffectivePeriod {
  start: string; // ISO date, inclusive
  end: string; // ISO date, inclusive
}

export function fiscalYearOf(date: string): number {
  const m = /^(\d{4})-(\d{2})/.exec(date);
  if (!m) throw new RangeError(`not an ISO date: ${date}`);
  const year = Number(m[1]);
  return Number(m[2]) >= 10 ? year + 1 : year;
}

export function fiscalYearPeriod(fy: number): EffectivePeriod {
  return { start: `${fy - 1}-10-01`, end: `${fy}-09-30` };
}

export function isWithin(date: string, p: EffectivePeriod): boolean {
  const d = date.slice(0, 10);
  return d >= p.start && d <= p.end;
}
