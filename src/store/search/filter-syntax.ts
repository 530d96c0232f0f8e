// The grammar of the R4 `_filter` parameter (https://hl7.org/fhir/R4/search_filter.html) parsed into a
// tree: comparisons `path op value`, `and`, `or`, `not (...)`, parentheses, quoted strings with JSON
// escapes, and parameter paths (`subject.name`, `subject[gender eq male].name`). Pure; what the names
// and operators mean for a resource type is filter-translate.ts's job. Errors name the character.
import { badRequest } from '../../platform/errors.js';

export const FILTER_OPERATORS = [
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'lt',
  'ge',
  'le',
  'ap',
  'sa',
  'eb',
  'pr',
  'po',
  'ss',
  'sb',
  'in',
  'ni',
  're',
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** One parameter name of a path, with the filter in brackets after it, if any; `pos` is 1-based. */
export interface PathStep {
  name: string;
  pos: number;
  where?: FilterExpr;
}

export type FilterExpr =
  | { kind: 'and' | 'or'; items: FilterExpr[] }
  | { kind: 'not'; item: FilterExpr }
  | {
      kind: 'compare';
      path: PathStep[];
      op: FilterOperator;
      opPos: number;
      value: string;
      valuePos: number;
    };

/** Longer filters, or deeper nesting, are refused before they cost anything. */
export const MAX_FILTER_LENGTH = 8000;
const MAX_DEPTH = 40;
/** Each step of a path is a join; chains of resources are short in practice. */
const MAX_PATH = 6;

/** `_filter` syntax errors are 400s naming the character where the filter stops making sense. */
export const filterError = (message: string, pos: number, text?: string) =>
  badRequest(
    `_filter: ${message} at character ${pos}${text === undefined ? '' : ` ("${text.length > 40 ? `${text.slice(0, 40)}...` : text}")`}`,
    '_filter',
  );

export function parseFilterSyntax(input: string): FilterExpr {
  if (input.length > MAX_FILTER_LENGTH)
    throw badRequest(`_filter: at most ${MAX_FILTER_LENGTH} characters`, '_filter');
  const p = new FilterParser(input);
  const expr = p.orExpr(0);
  p.skipSpace();
  if (!p.atEnd()) {
    const word = p.peekRun();
    throw filterError(
      /^\)/.test(word)
        ? 'a closing parenthesis without an opening one'
        : 'expected "and", "or" or the end of the filter',
      p.pos + 1,
      word,
    );
  }
  return expr;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_-]/;
const SPACE = /\s/;

class FilterParser {
  pos = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  skipSpace(): void {
    while (!this.atEnd() && SPACE.test(this.s[this.pos])) this.pos++;
  }

  /** The text from here up to the next space (for messages). */
  peekRun(): string {
    let i = this.pos;
    while (i < this.s.length && !SPACE.test(this.s[i])) i++;
    return this.s.slice(this.pos, i) || '';
  }

  /** A lower-case keyword here, followed by a space, a parenthesis or the end. */
  private keyword(word: string): boolean {
    const end = this.pos + word.length;
    if (this.s.slice(this.pos, end).toLowerCase() !== word) return false;
    return end >= this.s.length || SPACE.test(this.s[end]) || this.s[end] === '(';
  }

  orExpr(depth: number): FilterExpr {
    if (depth > MAX_DEPTH) throw filterError(`nested deeper than ${MAX_DEPTH} levels`, this.pos + 1);
    const items = [this.andExpr(depth)];
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      if (!this.keyword('or')) {
        this.pos = save;
        break;
      }
      this.pos += 2;
      items.push(this.andExpr(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private andExpr(depth: number): FilterExpr {
    const items = [this.unary(depth)];
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      if (!this.keyword('and')) {
        this.pos = save;
        break;
      }
      this.pos += 3;
      items.push(this.unary(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private unary(depth: number): FilterExpr {
    this.skipSpace();
    if (this.atEnd()) throw filterError('the filter ends where a comparison was expected', this.pos + 1);
    if (this.keyword('not')) {
      const at = this.pos + 1;
      this.pos += 3;
      this.skipSpace();
      if (this.s[this.pos] !== '(')
        throw filterError('"not" must be followed by a filter in parentheses: not (...)', at, 'not');
      return { kind: 'not', item: this.parenthesized(depth) };
    }
    if (this.s[this.pos] === '(') return this.parenthesized(depth);
    return this.comparison(depth);
  }

  private parenthesized(depth: number): FilterExpr {
    const open = this.pos + 1;
    this.pos++;
    const inner = this.orExpr(depth + 1);
    this.skipSpace();
    if (this.s[this.pos] !== ')')
      throw filterError(
        this.atEnd()
          ? `the parenthesis opened at character ${open} is not closed`
          : `expected ")" to close the parenthesis opened at character ${open}`,
        this.pos + 1,
        this.atEnd() ? undefined : this.peekRun(),
      );
    this.pos++;
    return inner;
  }

  private comparison(depth: number): FilterExpr {
    const path = this.path(depth);
    if (!this.atEnd() && !SPACE.test(this.s[this.pos]))
      throw filterError(
        'expected a space and an operator after the parameter name',
        this.pos + 1,
        this.peekRun(),
      );
    this.skipSpace();
    const opPos = this.pos + 1;
    let op = '';
    while (!this.atEnd() && /[A-Za-z]/.test(this.s[this.pos])) op += this.s[this.pos++];
    const known = FILTER_OPERATORS.find((o) => o === op.toLowerCase());
    if (!known || (!this.atEnd() && !SPACE.test(this.s[this.pos])))
      throw filterError(
        `expected an operator (${FILTER_OPERATORS.join(', ')}) after "${path.map((s) => s.name).join('.')}"`,
        opPos,
        this.atEnd() ? undefined : op + this.peekRun().slice(0),
      );
    this.skipSpace();
    const valuePos = this.pos + 1;
    if (this.atEnd()) throw filterError(`the filter ends where the value of "${op}" was expected`, valuePos);
    const value = this.s[this.pos] === '"' ? this.quoted() : this.bareValue();
    return { kind: 'compare', path, op: known, opPos, value, valuePos };
  }

  /** `name`, `name.name`, `name[filter].name`. */
  private path(depth: number): PathStep[] {
    const steps: PathStep[] = [];
    for (;;) {
      const pos = this.pos + 1;
      if (this.atEnd() || !NAME_START.test(this.s[this.pos]))
        throw filterError('expected a search parameter name', pos, this.atEnd() ? undefined : this.peekRun());
      let name = '';
      while (!this.atEnd() && NAME_CHAR.test(this.s[this.pos])) name += this.s[this.pos++];
      const step: PathStep = { name, pos };
      steps.push(step);
      if (steps.length > MAX_PATH) throw filterError(`a path of more than ${MAX_PATH} parameters`, pos, name);
      if (this.s[this.pos] === '[') {
        const open = this.pos + 1;
        this.pos++;
        step.where = this.orExpr(depth + 1);
        this.skipSpace();
        if (this.s[this.pos] !== ']')
          throw filterError(
            `expected "]" to close the "[" at character ${open}`,
            this.pos + 1,
            this.atEnd() ? undefined : this.peekRun(),
          );
        this.pos++;
        if (this.s[this.pos] !== '.')
          throw filterError(`expected "." and a parameter after "${name}[...]"`, this.pos + 1);
      }
      if (this.s[this.pos] !== '.') return steps;
      this.pos++;
    }
  }

  /** A value without quotes: everything up to a space, ")" or "]". */
  private bareValue(): string {
    const start = this.pos;
    while (
      !this.atEnd() &&
      !SPACE.test(this.s[this.pos]) &&
      this.s[this.pos] !== ')' &&
      this.s[this.pos] !== ']'
    )
      this.pos++;
    if (this.pos === start) throw filterError('expected a value', start + 1, this.peekRun());
    return this.s.slice(start, this.pos);
  }

  /** A JSON string: `"..."` with \" \\ \/ \b \f \n \r \t \uXXXX. */
  private quoted(): string {
    const open = this.pos + 1;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.atEnd()) throw filterError(`the string opened at character ${open} is not closed`, open);
      const ch = this.s[this.pos++];
      if (ch === '"') return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const esc = this.s[this.pos++];
      const simple: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      if (esc !== undefined && esc in simple) out += simple[esc];
      else if (esc === 'u' && /^[0-9a-fA-F]{4}$/.test(this.s.slice(this.pos, this.pos + 4))) {
        out += String.fromCharCode(Number.parseInt(this.s.slice(this.pos, this.pos + 4), 16));
        this.pos += 4;
      } else
        throw filterError(
          'unknown escape in a string (use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)',
          this.pos - 1,
          `\\${esc ?? ''}`,
        );
    }
  }
}
