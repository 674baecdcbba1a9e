/** The check every router makes on a weight before acting on it. */

/** Throws RangeError unless `canaryPercent` is an integer 0–100 (the plan's schema already refuses others: this is a bug guard). */
export function checkWeight(canaryPercent: number): void {
  if (!Number.isInteger(canaryPercent) || canaryPercent < 0 || canaryPercent > 100) {
    throw new RangeError(`canaryPercent: expected an integer 0–100, got ${canaryPercent}`);
  }
}
