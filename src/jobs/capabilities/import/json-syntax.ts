/**
 * Where a JSON text breaks, for a reason a person can act on ("line 3, column 14: expected , or ]").
 * JSON.parse says where only in its message, and scanq never decides on message text, so this
 * small scanner finds the first error itself. Pure; it builds no values.
 */

/** The first syntax error of a text. `offset` counts UTF-16 code units; line and column from 1. */
export interface JsonSyntaxError {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  readonly problem: string;
}

/** Deeper nesting than this is reported as an error rather than risking the stack. */
export const MAX_JSON_DEPTH = 64;

class Stop extends Error {
  constructor(
    readonly at: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX = /^[0-9a-fA-F]{4}$/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  fail(problem: string, at = this.pos): never {
    throw new Stop(at, problem);
  }

  describe(): string {
    const ch = this.text[this.pos];
    return ch === undefined ? 'end of input' : JSON.stringify(ch);
  }

  skip(): void {
    while (WHITESPACE.has(this.text[this.pos] ?? '')) this.pos++;
  }

  value(depth: number): void {
    if (depth > MAX_JSON_DEPTH) this.fail(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    this.skip();
    const ch = this.text[this.pos];
    if (ch === '{') this.container(depth, '}', true);
    else if (ch === '[') this.container(depth, ']', false);
    else if (ch === '"') this.string();
    else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) this.number();
    else this.literal();
  }

  literal(): void {
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.pos)) {
        this.pos += literal.length;
        return;
      }
    }
    this.fail(`expected a value, found ${this.describe()}`);
  }

  container(depth: number, close: '}' | ']', keyed: boolean): void {
    this.pos++;
    this.skip();
    if (this.text[this.pos] === close) {
      this.pos++;
      return;
    }
    for (;;) {
      if (keyed) {
        this.skip();
        if (this.text[this.pos] !== '"') this.fail(`expected a "quoted" key, found ${this.describe()}`);
        this.string();
        this.skip();
        if (this.text[this.pos] !== ':') this.fail(`expected : after the key, found ${this.describe()}`);
        this.pos++;
      }
      this.value(depth + 1);
      this.skip();
      const next = this.text[this.pos];
      if (next === close) {
        this.pos++;
        return;
      }
      if (next !== ',') this.fail(`expected , or ${close}, found ${this.describe()}`);
      this.pos++;
    }
  }

  string(): void {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) this.fail('unterminated string', start);
      if (ch === '"') {
        this.pos++;
        return;
      }
      if (ch < ' ') this.fail('control character in a string (escape it)');
      if (ch === '\\') {
        const escaped = this.text[this.pos + 1] ?? '';
        if (escaped === 'u') {
          if (!HEX.test(this.text.slice(this.pos + 2, this.pos + 6))) this.fail('invalid \\u escape');
          this.pos += 6;
          continue;
        }
        if (!ESCAPES.has(escaped)) this.fail('invalid escape in a string');
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
  }

  number(): void {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match || match[0].length === 0 || match[0] === '-') this.fail('invalid number');
    this.pos += match[0].length;
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The first syntax error of `text`, or undefined when it is one well-formed JSON value. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.value(0);
    scanner.skip();
    if (scanner.pos < text.length) scanner.fail(`unexpected ${scanner.describe()} after the JSON value`);
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return { offset: error.at, ...lineAndColumn(text, error.at), problem: error.problem };
  }
}
