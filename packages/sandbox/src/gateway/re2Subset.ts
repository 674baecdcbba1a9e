/**
 * The sandbox compiles RegularExpression matches with JavaScript's RegExp, which accepts more than the
 * RE2 that Gateway API implementations (Envoy) and Ramp's traffic vocabulary promise. A pattern a real
 * gateway would reject must not quietly work here, or a test passes that production fails: this finds
 * the RE2-refused constructs JavaScript accepts — lookahead and lookbehind, and backreferences.
 *
 * Not covered, because JavaScript refuses them itself (so they already fail to compile): possessive
 * quantifiers and atomic groups. RE2 syntax JavaScript refuses (`(?P<name>…)`, `\z`, `(?i)`) stays
 * refused, a stricter answer than a real gateway's.
 */

const LOOKAROUND: readonly [string, string][] = [
  ['(?<=', 'lookbehind'],
  ['(?<!', 'negative lookbehind'],
  ['(?=', 'lookahead'],
  ['(?!', 'negative lookahead'],
];

function isOctal(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7';
}

/**
 * Why RE2 would refuse `escape` (the characters after a backslash, at least one): `\8`, `\9` and a lone
 * `\1`..`\7` are backreferences to RE2 (`\12` is an octal escape, which it accepts), `\k<name>` a named one.
 */
function escapeRefusal(next: string, after: string | undefined): string | undefined {
  if (next === '8' || next === '9') return `backreference \\${next}`;
  if (next >= '1' && next <= '7' && !isOctal(after)) return `backreference \\${next}`;
  if (next === 'k' && after === '<') return 'named backreference \\k<…>';
  return undefined;
}

/** What in `pattern` RE2 does not accept (with its offset), or undefined when nothing JavaScript accepts is beyond RE2. */
export function re2Refusal(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const refused = i + 1 < pattern.length ? escapeRefusal(pattern[i + 1], pattern[i + 2]) : undefined;
      if (refused) return `${refused} at offset ${i} is not RE2 syntax`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      // The class ends at the next unescaped "]", as JavaScript reads it: that reading is what runs here.
      inClass = true;
      continue;
    }
    if (c === '(') {
      const found = LOOKAROUND.find(([open]) => pattern.startsWith(open, i));
      if (found) return `${found[1]} "${found[0]}" at offset ${i} is not RE2 syntax`;
    }
  }
  return undefined;
}
