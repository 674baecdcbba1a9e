/** One plain line per rollout event for CI logs: timestamp, phase, step, weight, message; never ANSI. */
import type { EventView } from '../../api/schemas';
import { isoSecond, stepPosition } from './parts';

/** `2026-11-25T16:00:00Z Progressing step 2/6 weight 25% — canary weight 10% → 25%` */
export function eventLine(e: EventView, totalSteps: number): string {
  const parts = [isoSecond(e.at)];
  if (e.phase) parts.push(e.phase);
  const pos = stepPosition(e.step, totalSteps);
  if (pos) parts.push(pos);
  if (e.weight !== undefined) parts.push(`weight ${Math.round(e.weight)}%`);
  return `${parts.join(' ')} — ${oneLine(e.message)}`;
}

/** `2026-11-25T16:00:00Z connection to the API lost (…); reconnecting in 1s (attempt 2)` */
export function reconnectLine(at: Date, attempt: number, delayMs: number, reason: string): string {
  return `${isoSecond(at)} connection to the API lost (${oneLine(reason)}); reconnecting in ${delayMs < 1000 ? `${delayMs}ms` : `${Math.round(delayMs / 100) / 10}s`} (attempt ${attempt})`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
