/**
 * Traffic between the stable Service and the new revision's Service, as strategies ask for it and
 * routers apply it: a weight (the share of requests that go to the new revision) and matches (requests
 * that go to it whatever the weight: gray release). Pure vocabulary; routers live in src/kube/routers.
 */

/** Requests that go to the new revision whatever the weight: by header or by cookie. */
export type TrafficMatch = { header: { name: string; value: string } } | { cookie: { name: string; value: string } };

/** How requests are split: `weight` percent (an integer 0–100) to the new revision, plus every request matching one of `matches`. */
export interface Traffic {
  weight: number;
  matches: readonly TrafficMatch[];
}

/** All traffic on stable, no matches. */
export const STABLE_ONLY: Traffic = { weight: 0, matches: [] };

/** `weight` percent to the new revision, no matches. */
export function weighted(weight: number): Traffic {
  return { weight, matches: [] };
}

/** A stable text form of a traffic split (two equal splits give the same key). */
export function trafficKey(t: Traffic): string {
  return JSON.stringify([t.weight, t.matches]);
}

/** Whether two splits are the same. */
export function sameTraffic(a: Traffic, b: Traffic): boolean {
  return trafficKey(a) === trafficKey(b);
}

/** Throws RangeError unless `weight` is an integer 0–100 (the plan's schema refuses others: this guards against bugs). */
export function checkTraffic(t: Traffic): void {
  if (!Number.isInteger(t.weight) || t.weight < 0 || t.weight > 100) {
    throw new RangeError(`traffic weight: expected an integer 0–100, got ${t.weight}`);
  }
}

/** `header x-beta=1`, `cookie beta=yes` */
export function describeMatch(m: TrafficMatch): string {
  return 'header' in m ? `header ${m.header.name}=${m.header.value}` : `cookie ${m.cookie.name}=${m.cookie.value}`;
}

/** `20%`, `20% + header x-beta=1` */
export function describeTraffic(t: Traffic): string {
  return [`${t.weight}%`, ...t.matches.map(describeMatch)].join(' + ');
}
