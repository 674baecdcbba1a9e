/**
 * Regular expressions users write in a gray slice (a header, cookie or query value to match). Routers
 * hand them to data planes that speak RE2 (Envoy-based Gateway API implementations) or PCRE (NGINX),
 * and Ramp itself never runs them against input: so a pattern must be in the subset both accept and
 * that ECMAScript can parse — no lookaround, no backreferences, no named groups — and short.
 */

/** The longest pattern accepted (a route's header value is small; a data plane compiles it per request path). */
export const MAX_PATTERN_LENGTH = 1024;

const UNSUPPORTED: readonly [RegExp, string][] = [
  [/\(\?<?[=!]/, 'lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)) are not in RE2'],
  [/\\[1-9]/, 'backreferences (\\1…\\9) are not in RE2'],
  [/\\k</, 'named backreferences (\\k<name>) are not in RE2'],
  [/\(\?<[A-Za-z_]/, 'named groups ((?<name>…)) are written differently in RE2 and ECMAScript: use (…)'],
  [/\(\?[a-zA-Z]+[):]/, 'inline flags ((?i) …) are not accepted by every router'],
];

/** Why `pattern` cannot be routed on, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'expected a regular expression, got an empty string';
  if (pattern.length > MAX_PATTERN_LENGTH) return `expected at most ${MAX_PATTERN_LENGTH} characters`;
  // Escaped backslashes first, so `\\1` (a backslash, then 1) is not taken for a backreference.
  const plain = pattern.replace(/\\\\/g, '');
  for (const [re, why] of UNSUPPORTED) if (re.test(plain)) return why;
  try {
    // Parsed only, to refuse what no engine can read; it is never run against a request here.
    new RegExp(pattern);
  } catch (e) {
    return `not a valid regular expression: ${(e as Error).message}`;
  }
  return undefined;
}
