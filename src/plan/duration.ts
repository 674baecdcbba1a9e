/**
 * Durations as plans write them — `500ms`, `30s`, `5m`, `1h30m` — parsed once into milliseconds.
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

/** Milliseconds of a duration string, or undefined if it is not one (or is too large to be a number: `999…9h`). */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
  return Number.isSafeInteger(Math.round(total)) ? Math.round(total) : undefined;
}

/** `90000` → `1m30s`, for messages and events. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s || parts.length === 0) parts.push(`${s}s`);
  return parts.join('');
}

/** A zod schema for a duration string; the parsed value stays the string (compile turns it to ms). */
export function durationSchema(opts: { min?: number; max?: number } = {}) {
  const what = `a duration like 30s, 5m or 1h30m${opts.min ? ` of at least ${formatDuration(opts.min)}` : ''}${opts.max !== undefined ? ` and at most ${formatDuration(opts.max)}` : ''}`;
  // The pattern as a check of its own, so the OpenAPI document carries it: a client reading the document
  // knows `5 minutes` is no duration. The refinement (bounds, and values too large to be a number) passes
  // what the pattern already refused, so a bad duration is one problem, not two; no `abort`, which would
  // hide the field's own message inside unions (steps).
  return z
    .string({ error: `expected ${what}` })
    .regex(DURATION_RE, { error: `expected ${what}` })
    .refine(
      (v) => {
        if (!DURATION_RE.test(v)) return true;
        const ms = parseDuration(v);
        return (
          ms !== undefined && (opts.min === undefined || ms >= opts.min) && (opts.max === undefined || ms <= opts.max)
        );
      },
      { error: `expected ${what}` },
    );
}
