// PostgreSQL array literals for values passed inside a text[] parameter (an array of arrays cannot be
// a parameter, so a per-row list travels as its literal and is cast back with ::text[]).

export function textArrayLiteral(items: string[]): string {
  return `{${items.map((s) => `"${s.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
