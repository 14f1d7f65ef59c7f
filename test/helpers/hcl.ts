/**
 * A small reader for the subset of HCL that `terraform/` uses, and an evaluator of the values the
 * tests compare with the manifest. It is deliberately strict: anything outside the subset
 * (heredocs, template directives, `for` and splat expressions, `...` expansion) throws with the
 * file and line, so a construct it does not understand can never be read as something else.
 *
 * Supported: blocks with labels, attributes, `#` `//` `/* *\/` comments, strings with `${}`
 * interpolation, numbers, bools, null, tuples, objects, function calls, traversals (`a.b["k"].c`),
 * unary, binary and conditional operators (parsed, not computed).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// ---------------------------------------------------------------------------------------------
// Syntax

export type Expr =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null }
  | { readonly kind: 'template'; readonly parts: readonly (string | Expr)[] }
  | { readonly kind: 'tuple'; readonly items: readonly Expr[] }
  | { readonly kind: 'object'; readonly entries: readonly { readonly key: Expr; readonly value: Expr }[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: 'traversal'; readonly root: string | Expr; readonly steps: readonly Step[] }
  | { readonly kind: 'operation'; readonly operator: string; readonly operands: readonly Expr[] };

export type Step = { readonly attr: string } | { readonly index: Expr };

export interface Body {
  readonly attributes: ReadonlyMap<string, Expr>;
  readonly blocks: readonly Block[];
}

export interface Block {
  readonly type: string;
  readonly labels: readonly string[];
  readonly body: Body;
  readonly file: string;
  readonly line: number;
}

interface Token {
  readonly type: 'ident' | 'number' | 'string' | 'punct' | 'newline' | 'eof';
  readonly text: string;
  readonly line: number;
  /** For strings: literal text and interpolated source, in order. */
  readonly parts?: readonly (string | { readonly source: string; readonly line: number })[];
}

export class HclSyntaxError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'HclSyntaxError';
  }
}

const PUNCTUATION = ['...', '==', '!=', '<=', '>=', '&&', '||', '=>', ...'{}[](),.=:?!*/%+-<>'];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

function lex(source: string, file: string, firstLine = 1): Token[] {
  const tokens: Token[] = [];
  let line = firstLine;
  let i = 0;
  const fail = (message: string): never => {
    throw new HclSyntaxError(file, line, message);
  };
  while (i < source.length) {
    const c = source.charAt(i);
    const rest = source.slice(i);
    if (c === '\n') {
      tokens.push({ type: 'newline', text: '\n', line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#' || rest.startsWith('//')) {
      while (i < source.length && source.charAt(i) !== '\n') i++;
    } else if (rest.startsWith('/*')) {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated comment');
      for (const ch of source.slice(i, end)) if (ch === '\n') line++;
      i = end + 2;
    } else if (rest.startsWith('<<')) {
      fail('heredoc strings are outside the subset this reader supports');
    } else if (c === '"') {
      const start = line;
      const { parts, end, lines } = lexString(source, i + 1, fail, line);
      tokens.push({ type: 'string', text: source.slice(i, end), line: start, parts });
      line += lines;
      i = end;
    } else if (/[0-9]/.test(c)) {
      const match = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
      const text = match?.[0] ?? c;
      tokens.push({ type: 'number', text, line });
      i += text.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const text = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest)?.[0] ?? c;
      tokens.push({ type: 'ident', text, line });
      i += text.length;
    } else {
      const text = PUNCTUATION.find((p) => rest.startsWith(p));
      if (!text) return fail(`unexpected character ${JSON.stringify(c)}`);
      tokens.push({ type: 'punct', text, line });
      i += text.length;
    }
  }
  tokens.push({ type: 'eof', text: '', line });
  return tokens;
}

/** Reads a quoted template from just after its opening quote. */
function lexString(source: string, from: number, fail: (message: string) => never, line: number) {
  const parts: (string | { source: string; line: number })[] = [];
  let text = '';
  let lines = 0;
  let i = from;
  for (;;) {
    const c = source.charAt(i);
    if (i >= source.length || c === '\n') fail('unterminated string');
    if (c === '"') break;
    if (c === '\\') {
      const next = source.charAt(i + 1);
      const escaped = ESCAPES[next];
      if (escaped !== undefined) {
        text += escaped;
        i += 2;
      } else if (next === 'u' || next === 'U') {
        const width = next === 'u' ? 4 : 8;
        text += String.fromCodePoint(Number.parseInt(source.slice(i + 2, i + 2 + width), 16));
        i += 2 + width;
      } else {
        fail(`unknown escape \\${next}`);
      }
    } else if (source.startsWith('$${', i) || source.startsWith('%%{', i)) {
      text += `${c}{`;
      i += 3;
    } else if (source.startsWith('%{', i)) {
      fail('template directives (%{ }) are outside the subset this reader supports');
    } else if (source.startsWith('${', i)) {
      const end = closingBrace(source, i + 2, fail);
      if (text) parts.push(text);
      text = '';
      const inner = source.slice(i + 2, end);
      parts.push({ source: inner, line: line + lines });
      for (const ch of inner) if (ch === '\n') lines++;
      i = end + 1;
    } else {
      text += c;
      i++;
    }
  }
  if (text || parts.length === 0) parts.push(text);
  return { parts, end: i + 1, lines };
}

/** Index of the `}` closing an interpolation that starts at `from`, skipping nested strings. */
function closingBrace(source: string, from: number, fail: (message: string) => never): number {
  let depth = 0;
  for (let i = from; i < source.length; i++) {
    const c = source.charAt(i);
    if (c === '"') {
      for (i++; i < source.length && source.charAt(i) !== '"'; i++) if (source.charAt(i) === '\\') i++;
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return fail('unterminated interpolation');
}

const BINARY: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

class Parser {
  private position = 0;
  /** > 0 inside ( ) and [ ], where newlines mean nothing. */
  private newlinesIgnored = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly file: string,
  ) {}

  body(closing: '}' | 'eof'): Body {
    const attributes = new Map<string, Expr>();
    const blocks: Block[] = [];
    for (;;) {
      this.skipNewlines();
      const token = this.peek();
      if (closing === '}' ? this.isPunct('}') : token.type === 'eof') return { attributes, blocks };
      const name = this.expect('ident').text;
      if (this.isPunct('=')) {
        this.next();
        if (attributes.has(name)) this.fail(`attribute ${name} is set twice`);
        attributes.set(name, this.expression());
      } else {
        const labels: string[] = [];
        while (!this.isPunct('{')) {
          const label = this.next();
          if (label.type === 'ident') labels.push(label.text);
          else if (label.type === 'string' && label.parts?.every((p) => typeof p === 'string'))
            labels.push(label.parts.join(''));
          else this.fail(`unexpected ${label.text || label.type} in the header of block ${name}`);
        }
        this.next();
        const body = this.body('}');
        this.expectPunct('}');
        blocks.push({ type: name, labels, body, file: this.file, line: token.line });
      }
      const after = this.peek();
      if (after.type !== 'newline' && after.type !== 'eof' && !this.isPunct('}'))
        this.fail(`expected a new line after ${name}, found ${after.text}`);
    }
  }

  expression(): Expr {
    const condition = this.binary(1);
    if (!this.isPunct('?')) return condition;
    this.next();
    const then = this.expression();
    this.expectPunct(':');
    return { kind: 'operation', operator: '?:', operands: [condition, then, this.expression()] };
  }

  private binary(minPrecedence: number): Expr {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      const precedence = token.type === 'punct' ? BINARY[token.text] : undefined;
      if (precedence === undefined || precedence < minPrecedence) return left;
      this.next();
      const right = this.binary(precedence + 1);
      left = { kind: 'operation', operator: token.text, operands: [left, right] };
    }
  }

  private unary(): Expr {
    if (this.isPunct('!') || this.isPunct('-')) {
      const operator = this.next().text;
      return { kind: 'operation', operator, operands: [this.unary()] };
    }
    return this.postfix(this.primary());
  }

  private primary(): Expr {
    const token = this.next();
    if (token.type === 'number') return { kind: 'literal', value: Number(token.text) };
    if (token.type === 'string') return this.template(token);
    if (token.type === 'ident') {
      if (token.text === 'true' || token.text === 'false')
        return { kind: 'literal', value: token.text === 'true' };
      if (token.text === 'null') return { kind: 'literal', value: null };
      if (this.isPunct('(')) return this.call(token.text);
      return { kind: 'traversal', root: token.text, steps: [] };
    }
    if (token.type === 'punct' && token.text === '(') {
      const inner = this.ignoringNewlines(() => this.expression());
      this.expectPunct(')');
      return inner;
    }
    if (token.type === 'punct' && token.text === '[') return this.tuple();
    if (token.type === 'punct' && token.text === '{') return this.object();
    return this.fail(`unexpected ${token.text || token.type}`);
  }

  private postfix(target: Expr): Expr {
    const steps: Step[] = [];
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        const name = this.next();
        if (name.type === 'ident') steps.push({ attr: name.text });
        else if (name.type === 'number') steps.push({ index: { kind: 'literal', value: Number(name.text) } });
        else this.fail('splat expressions are outside the subset this reader supports');
      } else if (this.isPunct('[')) {
        this.next();
        if (this.isPunct('*')) this.fail('splat expressions are outside the subset this reader supports');
        steps.push({ index: this.ignoringNewlines(() => this.expression()) });
        this.expectPunct(']');
      } else {
        break;
      }
    }
    if (steps.length === 0) return target;
    if (target.kind === 'traversal') return { ...target, steps: [...target.steps, ...steps] };
    return { kind: 'traversal', root: target, steps };
  }

  private call(name: string): Expr {
    this.next();
    const args = this.ignoringNewlines(() => this.list(')'));
    return { kind: 'call', name, args };
  }

  private tuple(): Expr {
    if (this.peekIdent('for')) this.fail('for expressions are outside the subset this reader supports');
    return { kind: 'tuple', items: this.ignoringNewlines(() => this.list(']')) };
  }

  /** Comma-separated expressions up to `closing` (consumed); a trailing comma is allowed. */
  private list(closing: string): Expr[] {
    const items: Expr[] = [];
    while (!this.isPunct(closing)) {
      items.push(this.expression());
      if (this.isPunct('...')) this.fail('argument expansion is outside the subset this reader supports');
      if (!this.isPunct(closing)) this.expectPunct(',');
    }
    this.next();
    return items;
  }

  private object(): Expr {
    const saved = this.newlinesIgnored;
    this.newlinesIgnored = 0;
    try {
      this.skipNewlines();
      if (this.peekIdent('for')) this.fail('for expressions are outside the subset this reader supports');
      const entries: { key: Expr; value: Expr }[] = [];
      while (!this.isPunct('}')) {
        const keyToken = this.peek();
        let key: Expr;
        if (keyToken.type === 'ident') {
          this.next();
          key = { kind: 'literal', value: keyToken.text };
        } else {
          key = this.expression();
        }
        if (this.isPunct('=') || this.isPunct(':')) this.next();
        else this.fail(`expected = or : after an object key, found ${this.peek().text}`);
        entries.push({ key, value: this.expression() });
        if (this.isPunct(',')) this.next();
        else if (!this.isPunct('}')) this.expect('newline');
        this.skipNewlines();
      }
      this.next();
      return { kind: 'object', entries };
    } finally {
      this.newlinesIgnored = saved;
    }
  }

  private template(token: Token): Expr {
    const parts = (token.parts ?? []).map((part) => {
      if (typeof part === 'string') return part;
      const parser = new Parser(lex(part.source, this.file, part.line), this.file);
      parser.newlinesIgnored = 1;
      const expr = parser.expression();
      parser.expect('eof');
      return expr;
    });
    if (parts.length === 1 && typeof parts[0] === 'string') return { kind: 'literal', value: parts[0] };
    return { kind: 'template', parts };
  }

  private ignoringNewlines<T>(read: () => T): T {
    this.newlinesIgnored++;
    try {
      return read();
    } finally {
      this.newlinesIgnored--;
    }
  }

  private skipNewlines(): void {
    while (this.tokens[this.position]?.type === 'newline') this.position++;
  }

  private peek(): Token {
    if (this.newlinesIgnored > 0) this.skipNewlines();
    const token = this.tokens[this.position];
    if (!token) throw new HclSyntaxError(this.file, 0, 'read past the end');
    return token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'eof') this.position++;
    return token;
  }

  private isPunct(text: string): boolean {
    const token = this.peek();
    return token.type === 'punct' && token.text === text;
  }

  private peekIdent(text: string): boolean {
    const token = this.peek();
    return token.type === 'ident' && token.text === text;
  }

  expect(type: Token['type']): Token {
    const token = this.peek();
    if (token.type !== type) this.fail(`expected ${type}, found ${token.text || token.type}`);
    return this.next();
  }

  private expectPunct(text: string): void {
    if (!this.isPunct(text)) this.fail(`expected ${text}, found ${this.peek().text || this.peek().type}`);
    this.next();
  }

  private fail(message: string): never {
    throw new HclSyntaxError(this.file, this.tokens[this.position]?.line ?? 0, message);
  }
}

/** Parses one HCL file of the supported subset. */
export function parseHcl(source: string, file = '<input>'): Body {
  return new Parser(lex(source, file), file).body('eof');
}

/** HCL-like text of an expression, for messages and for values the evaluator leaves open. */
export function render(expr: Expr): string {
  switch (expr.kind) {
    case 'literal':
      return JSON.stringify(expr.value);
    case 'template':
      return JSON.stringify(
        expr.parts.map((p) => (typeof p === 'string' ? p : `\${${render(p)}}`)).join(''),
      ).replaceAll('\\"', '"');
    case 'tuple':
      return `[${expr.items.map(render).join(', ')}]`;
    case 'object':
      return `{ ${expr.entries.map((e) => `${render(e.key)} = ${render(e.value)}`).join(', ')} }`;
    case 'call':
      return `${expr.name}(${expr.args.map(render).join(', ')})`;
    case 'traversal': {
      const root = typeof expr.root === 'string' ? expr.root : `(${render(expr.root)})`;
      return root + expr.steps.map((s) => ('attr' in s ? `.${s.attr}` : `[${render(s.index)}]`)).join('');
    }
    case 'operation': {
      const [a, b, c] = expr.operands.map(render);
      if (expr.operator === '?:') return `${a} ? ${b} : ${c}`;
      return b === undefined ? `${expr.operator}${a}` : `${a} ${expr.operator} ${b}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Values

/** A value the reader does not compute: an operator, an unknown function, a `statement` iterator. */
export class Unresolved {
  constructor(readonly text: string) {}
}

/** A reference to a resource or data source (instance), or to one of its computed attributes. */
export class Reference extends Unresolved {
  constructor(
    readonly address: string,
    readonly key: string | undefined,
    readonly path: readonly string[],
  ) {
    super(
      `${address}${key === undefined ? '' : `[${JSON.stringify(key)}]`}${path.map((p) => `.${p}`).join('')}`,
    );
  }
}

export interface ValueObject {
  readonly [key: string]: Value;
}

export type Value = string | number | boolean | null | readonly Value[] | ValueObject | Unresolved;

function templateText(value: Value): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Unresolved) return `\${${value.text}}`;
  return `\${${JSON.stringify(value)}}`;
}

const isScalar = (value: Value): value is string | number | boolean =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

export function isValueObject(value: Value | undefined): value is ValueObject {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Unresolved)
  );
}

// ---------------------------------------------------------------------------------------------
// A Terraform module: variables, locals, resources, data sources and outputs of one directory

/** Readable text of a value: strings quoted, unresolved parts as the reader left them. */
export function show(value: Value | undefined): string {
  if (value === undefined) return 'undefined';
  if (value instanceof Unresolved) return value.text;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (isValueObject(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${show(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

export interface Instance {
  /** `aws_s3_bucket.this` or `data.aws_iam_policy_document.api`. */
  readonly address: string;
  /** The `for_each` key, if any. */
  readonly key: string | undefined;
  readonly block: Block;
  readonly each: Each | undefined;
}

interface Each {
  readonly key: string;
  readonly value: Value;
}

export interface Scope {
  readonly each?: Each | undefined;
  /** The iterator of an enclosing `dynamic` block, left unresolved. */
  readonly iterators?: readonly string[];
}

/** Reads every `*.tf` file of a directory and evaluates with variables' defaults, except `overrides`. */
export class TerraformModule {
  readonly blocks: readonly Block[];
  private readonly variables = new Map<string, Block>();
  private readonly locals = new Map<string, Expr>();
  private readonly addressed = new Map<string, Block>();
  private readonly evaluating = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly overrides: Readonly<Record<string, Value>> = {},
  ) {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.tf'))
      .sort();
    this.blocks = files.flatMap((f) => parseHcl(readFileSync(join(dir, f), 'utf8'), f).blocks);
    for (const block of this.blocks) {
      const [first, second] = block.labels;
      if (block.type === 'variable' && first) this.variables.set(first, block);
      if (block.type === 'locals')
        for (const [name, expr] of block.body.attributes) {
          if (this.locals.has(name)) throw new Error(`local.${name} is defined twice`);
          this.locals.set(name, expr);
        }
      if ((block.type === 'resource' || block.type === 'data') && first && second) {
        const address = block.type === 'data' ? `data.${first}.${second}` : `${first}.${second}`;
        if (this.addressed.has(address)) throw new Error(`${address} is declared twice`);
        this.addressed.set(address, block);
      }
    }
  }

  /** Every instance of every resource (or `data.`-prefixed data source) of a type. */
  instancesOf(type: string): Instance[] {
    return [...this.addressed.keys()]
      .filter((address) => address.slice(0, address.lastIndexOf('.')) === type)
      .flatMap((address) => this.instances(address));
  }

  /** The instances of one resource: one per `for_each` key, or one without a key. */
  instances(address: string): Instance[] {
    const block = this.addressed.get(address);
    if (!block) throw new Error(`${address} is not declared`);
    const forEach = block.body.attributes.get('for_each');
    if (!forEach) return [{ address, key: undefined, block, each: undefined }];
    const collection = this.evaluate(forEach);
    let entries: [string, Value][];
    if (collection instanceof Reference && collection.key === undefined && collection.path.length === 0) {
      entries = this.instances(collection.address).map((i) => [
        i.key ?? '',
        new Reference(i.address, i.key, []),
      ]);
    } else if (Array.isArray(collection)) {
      entries = collection.map((item) => [String(item), item]);
    } else if (isValueObject(collection)) {
      entries = Object.entries(collection);
    } else {
      throw new Error(`${address}: cannot evaluate for_each ${render(forEach)}`);
    }
    return entries.map(([key, value]) => ({ address, key, block, each: { key, value } }));
  }

  /** One instance, by address and key. */
  instance(address: string, key?: string): Instance {
    const found = this.instances(address).find((i) => i.key === key);
    if (!found) throw new Error(`${address}[${JSON.stringify(key)}] does not exist`);
    return found;
  }

  /** The instance a reference points at (its path is ignored). */
  target(reference: Reference): Instance {
    return this.instance(reference.address, reference.key);
  }

  /** An attribute of an instance's body (or of a nested block, by path), evaluated in its scope. */
  attribute(instance: Instance, ...path: string[]): Value | undefined {
    let body: Body = instance.block.body;
    const name = path.pop();
    for (const blockType of path) {
      const nested = body.blocks.filter((b) => b.type === blockType);
      if (nested.length !== 1 || !nested[0]) return undefined;
      body = nested[0].body;
    }
    const expr = name === undefined ? undefined : body.attributes.get(name);
    return expr === undefined ? undefined : this.evaluate(expr, { each: instance.each });
  }

  /** An attribute of any body (a nested or `dynamic` block), evaluated in `scope`. */
  value(body: Body, name: string, scope: Scope = {}): Value | undefined {
    const expr = body.attributes.get(name);
    return expr === undefined ? undefined : this.evaluate(expr, scope);
  }

  /** Evaluates an expression within an instance's scope (`each`, `dynamic` iterators). */
  evaluate(expr: Expr, scope: Scope = {}): Value {
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'template': {
        const values = expr.parts.map((p) => (typeof p === 'string' ? p : this.evaluate(p, scope)));
        if (values.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))
          return values.join('');
        // What is known is filled in: `arn:${local.partition}:…:secret:PREFIX/*`.
        return new Unresolved(values.map(templateText).join(''));
      }
      case 'tuple':
        return expr.items.map((item) => this.evaluate(item, scope));
      case 'object': {
        const entries = expr.entries.map((e) => [this.evaluate(e.key, scope), this.evaluate(e.value, scope)]);
        if (entries.some(([key]) => typeof key !== 'string')) return new Unresolved(render(expr));
        return Object.fromEntries(entries);
      }
      case 'call':
        return this.call(expr, scope);
      case 'traversal':
        return this.traverse(expr, scope);
      case 'operation':
        return this.operation(expr, scope);
    }
  }

  private call(expr: Extract<Expr, { kind: 'call' }>, scope: Scope): Value {
    const args = expr.args.map((a) => this.evaluate(a, scope));
    const [first] = args;
    // jsonencode keeps the structure it encodes, so tests can look inside policies.
    if (expr.name === 'jsonencode' && args.length === 1 && first !== undefined) return first;
    if (expr.name === 'toset' && Array.isArray(first)) return [...new Set(first)];
    if (expr.name === 'concat' && args.every(Array.isArray)) return args.flat(1);
    if (expr.name === 'tostring' && first !== undefined && isScalar(first)) return String(first);
    if (expr.name === 'floor' && typeof first === 'number') return Math.floor(first);
    return new Unresolved(render(expr));
  }

  /** Arithmetic, comparisons, `&&`, `||`, `!` and conditionals, when their operands are known. */
  private operation(expr: Extract<Expr, { kind: 'operation' }>, scope: Scope): Value {
    const unresolved = new Unresolved(render(expr));
    const [a, b, c] = expr.operands;
    if (expr.operator === '?:') {
      const condition = a && this.evaluate(a, scope);
      if (typeof condition !== 'boolean' || !b || !c) return unresolved;
      return this.evaluate(condition ? b : c, scope);
    }
    const left = a ? this.evaluate(a, scope) : undefined;
    const right = b ? this.evaluate(b, scope) : undefined;
    const known = (v: Value | undefined): v is string | number | boolean | null =>
      v === null || (v !== undefined && isScalar(v));
    if (expr.operator === '!') return typeof left === 'boolean' ? !left : unresolved;
    if (expr.operator === '-' && right === undefined) return typeof left === 'number' ? -left : unresolved;
    if (!known(left) || !known(right)) return unresolved;
    switch (expr.operator) {
      case '==':
        return left === right;
      case '!=':
        return left !== right;
      case '&&':
      case '||':
        if (typeof left !== 'boolean' || typeof right !== 'boolean') return unresolved;
        return expr.operator === '&&' ? left && right : left || right;
    }
    if (typeof left !== 'number' || typeof right !== 'number') return unresolved;
    const arithmetic: Record<string, (x: number, y: number) => number | boolean> = {
      '+': (x, y) => x + y,
      '-': (x, y) => x - y,
      '*': (x, y) => x * y,
      '/': (x, y) => x / y,
      '<': (x, y) => x < y,
      '>': (x, y) => x > y,
      '<=': (x, y) => x <= y,
      '>=': (x, y) => x >= y,
    };
    const apply = arithmetic[expr.operator];
    return apply ? apply(left, right) : unresolved;
  }

  private traverse(expr: Extract<Expr, { kind: 'traversal' }>, scope: Scope): Value {
    const steps = expr.steps.map((s) => ('attr' in s ? s.attr : this.evaluate(s.index, scope)));
    if (typeof expr.root !== 'string') return this.apply(this.evaluate(expr.root, scope), steps, expr);
    const root = expr.root;
    const [first, second, ...rest] = steps;
    if (root === 'var' && typeof first === 'string')
      return this.apply(this.variable(first), steps.slice(1), expr);
    if (root === 'local' && typeof first === 'string')
      return this.apply(this.local(first), steps.slice(1), expr);
    if (root === 'each') {
      if (!scope.each) throw new Error(`${render(expr)} outside a for_each`);
      if (first === 'key') return this.apply(scope.each.key, steps.slice(1), expr);
      if (first === 'value') return this.apply(scope.each.value, steps.slice(1), expr);
    }
    if (scope.iterators?.includes(root)) return new Unresolved(render(expr));
    if (root === 'data' && typeof first === 'string' && typeof second === 'string') {
      const address = `data.${first}.${second}`;
      if (!this.addressed.has(address))
        throw new Error(`${render(expr)} refers to an undeclared data source`);
      return this.apply(new Reference(address, undefined, []), rest, expr);
    }
    if (typeof first === 'string' && this.addressed.has(`${root}.${first}`))
      return this.apply(new Reference(`${root}.${first}`, undefined, []), steps.slice(1), expr);
    if (root.includes('_')) throw new Error(`${render(expr)} refers to an undeclared resource`);
    return new Unresolved(render(expr));
  }

  /** Applies traversal steps to a value; on a reference, looks attributes up in the resource. */
  private apply(value: Value, steps: readonly Value[], expr: Expr): Value {
    let current = value;
    for (const step of steps) {
      if (current instanceof Reference) {
        current = this.step(current, step, expr);
      } else if (Array.isArray(current) && typeof step === 'number') {
        // `in`, not `??`: null is a value (an unset optional input).
        current = step in current ? ((current as Value[])[step] ?? null) : this.missing(expr);
      } else if (isValueObject(current) && typeof step === 'string') {
        current = step in current ? (current[step] ?? null) : this.missing(expr);
      } else {
        return new Unresolved(render(expr));
      }
    }
    return current;
  }

  private step(reference: Reference, step: Value, expr: Expr): Value {
    if (!this.addressed.has(reference.address)) throw new Error(`${reference.address} is not declared`);
    const hasForEach = this.addressed.get(reference.address)?.body.attributes.has('for_each') ?? false;
    if (hasForEach && reference.key === undefined && reference.path.length === 0) {
      if (typeof step !== 'string') return new Unresolved(render(expr));
      this.instance(reference.address, step);
      return new Reference(reference.address, step, []);
    }
    if (typeof step !== 'string') return new Unresolved(render(expr));
    if (reference.path.length === 0) {
      const own = this.attribute(this.instance(reference.address, reference.key), step);
      if (own !== undefined) return own;
    }
    return new Reference(reference.address, reference.key, [...reference.path, step]);
  }

  private variable(name: string): Value {
    if (name in this.overrides) return this.overrides[name] ?? null;
    const block = this.variables.get(name);
    if (!block) throw new Error(`var.${name} is not declared`);
    const fallback = block.body.attributes.get('default');
    return fallback ? this.evaluate(fallback) : new Unresolved(`var.${name}`);
  }

  private local(name: string): Value {
    const expr = this.locals.get(name);
    if (!expr) throw new Error(`local.${name} is not defined`);
    if (this.evaluating.has(name)) throw new Error(`local.${name} refers to itself`);
    this.evaluating.add(name);
    try {
      return this.evaluate(expr);
    } finally {
      this.evaluating.delete(name);
    }
  }

  private missing(expr: Expr): never {
    throw new Error(`${render(expr)} does not exist`);
  }
}

/** Blocks of `type` in a body, including the `content` of `dynamic "type"` blocks. */
export function blocksOf(body: Body, type: string): { readonly block: Block; readonly iterator?: string }[] {
  return body.blocks.flatMap((block) => {
    if (block.type === type) return [{ block }];
    if (block.type !== 'dynamic' || block.labels[0] !== type) return [];
    const content = block.body.blocks.find((b) => b.type === 'content');
    if (!content) throw new Error(`${block.file}:${block.line}: dynamic "${type}" has no content`);
    const iteratorExpr = block.body.attributes.get('iterator');
    const iterator =
      iteratorExpr?.kind === 'traversal' && typeof iteratorExpr.root === 'string' ? iteratorExpr.root : type;
    return [{ block: content, iterator }];
  });
}
