// Turns titles, index terms and what a coder types into comparable tokens: lower case, no accents, light plural stemming.
const STOPWORDS = new Set([
  'of',
  'the',
  'a',
  'an',
  'and',
  'or',
  'to',
  'in',
  'for',
  'by',
  'as',
  'at',
  'from',
  'on',
  'is',
  'be',
  'its',
]);

export function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** Words of `text` without stopwords; with `keepStopwords` the raw sequence is kept (for abbreviation matching). */
export function words(text: string): string[] {
  // most titles are ASCII: skip the accent folding for them (it dominated building the search index)
  const folded = /[\u0080-\uffff]/.test(text) ? text.normalize('NFD').replace(/[\u0300-\u036f]/g, '') : text;
  return folded
    .toLowerCase()
    .replace(/'s\b/g, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (STOPWORDS.has(w)) continue;
    out.push(stem(w));
  }
  return out;
}

export function isStopword(w: string): boolean {
  return STOPWORDS.has(w);
}
