/**
 * A strict reader of PromQL string literals and label matchers, following Prometheus' lexer and
 * strutil.Unquote: what Prometheus would read back from a rendered query. Throws where Prometheus
 * would refuse the query.
 */
import fc from 'fast-check';

const SIMPLE: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** Reads the string literal opening at `text[at]`; returns its value and the index after it. */
export function readString(text: string, at: number): { value: string; end: number } {
  const quote = text[at];
  if (quote !== '"' && quote !== "'") throw new Error(`expected a quote at ${at}: ${text.slice(at, at + 20)}`);
  let value = '';
  for (let i = at + 1; i < text.length;) {
    const cp = text.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    if (ch === quote) return { value, end: i + 1 };
    if (ch === '\n') throw new Error('unterminated quoted string (raw newline)');
    if (cp === 0xfffd || (cp >= 0xd800 && cp <= 0xdfff)) throw new Error('invalid UTF-8 rune');
    if (ch !== '\\') {
      value += ch;
      i += ch.length;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) throw new Error('escape sequence not terminated');
    if (SIMPLE[e] !== undefined || e === quote) {
      value += SIMPLE[e] ?? quote;
      i += 2;
      continue;
    }
    const digits = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : /[0-7]/.test(e) ? 3 : 0;
    if (digits === 0) throw new Error(`unknown escape sequence \\${e}`);
    const start = /[0-7]/.test(e) ? i + 1 : i + 2;
    const hex = text.slice(start, start + digits);
    const base = /[0-7]/.test(e) ? 8 : 16;
    if (hex.length !== digits || !(base === 8 ? /^[0-7]+$/ : /^[0-9a-fA-F]+$/).test(hex))
      throw new Error(`bad escape \\${e}${hex}`);
    const n = parseInt(hex, base);
    if ((e === 'x' || base === 8) && n >= 0x80)
      throw new Error('a byte escape ≥ 0x80 is not UTF-8 on its own (never expected here)');
    if (n > 0x10ffff || (n >= 0xd800 && n < 0xe000))
      throw new Error('escape sequence is an invalid Unicode code point');
    value += String.fromCodePoint(n);
    i = start + digits;
  }
  throw new Error('unterminated quoted string');
}

export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Reads `name op "value"` matchers separated by commas, with nothing else around them. */
export function parseMatchers(text: string): Matcher[] {
  const out: Matcher[] = [];
  let i = 0;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  for (;;) {
    skip();
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))?.[0];
    if (!name) throw new Error(`expected a label name at ${i}: ${text.slice(i, i + 20)}`);
    i += name.length;
    skip();
    const op = /^(=~|!~|!=|=)/.exec(text.slice(i))?.[0] as Matcher['op'] | undefined;
    if (!op) throw new Error(`expected an operator at ${i}`);
    i += op.length;
    skip();
    const s = readString(text, i);
    out.push({ name, op, value: s.value });
    i = s.end;
    skip();
    if (i === text.length) return out;
    if (text[i] !== ',') throw new Error(`expected , at ${i}: ${text.slice(i, i + 20)}`);
    i++;
  }
}

/** What a JS string becomes in UTF-8 and back: lone surrogates turn into U+FFFD. */
export function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Strings rich in everything that could break out: quotes, escapes, newlines, RE2 metacharacters, odd Unicode. */
export const nastyStrings = fc.oneof(
  fc.string({
    unit: fc.constantFrom(
      '"',
      "'",
      '`',
      '\\',
      '\n',
      '\r',
      '\t',
      '\0',
      '\x1b',
      '\x7f',
      '{',
      '}',
      '$',
      '.',
      '*',
      '|',
      '(',
      ')',
      '[',
      ']',
      '^',
      '+',
      '?',
      '#',
      '=',
      '~',
      ',',
      '-',
      '\ufffd',
      '\ud800',
      '\udc00',
      '\u2028',
      'é',
      '😀',
      'a',
      'Z',
      '0',
      ' ',
    ),
    maxLength: 40,
  }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
