/**
 * Traffic between the stable Service and the new revision's Service, as strategies ask for it and
 * routers apply it: a weight (the share of requests that go to the new revision), matches (requests
 * that go to it whatever the weight: gray release's slices), and optionally a sticky cookie that keeps a
 * client the weight once sent to the new revision there. Pure vocabulary; routers live in src/kube/routers.
 */

/** Where a match reads its value: a request header, one cookie of the Cookie header, a query parameter. */
export type MatchSource = 'header' | 'cookie' | 'query';

/**
 * How the value is compared. `Exact`: equal. `Prefix`: starts with. `RegularExpression`: the whole value
 * matches the pattern (a full match, in the RE2 subset Gateway API implementations and NGINX both accept:
 * no lookaround, no backreferences).
 */
export type MatchType = 'Exact' | 'Prefix' | 'RegularExpression';

/** Requests that go to the new revision whatever the weight. */
export interface TrafficMatch {
  on: MatchSource;
  /** The header (case-insensitive), cookie or query parameter name. */
  name: string;
  type: MatchType;
  value: string;
}

/**
 * A client the weight sent to the new revision gets cookie `cookie` and keeps going there. `value` (the
 * new revision) is what the cookie holds where the router sets it, so a cookie left from an earlier
 * rollout never pins a client to a later one.
 */
export interface StickyCookie {
  cookie: string;
  value: string;
}

/** How requests are split: `weight` percent (an integer 0–100) to the new revision, plus every request matching one of `matches`. */
export interface Traffic {
  weight: number;
  matches: readonly TrafficMatch[];
  /** Only with a weight above 0: requests carrying the cookie go to the new revision too. */
  sticky?: StickyCookie;
}

/** All traffic on stable, no matches. */
export const STABLE_ONLY: Traffic = { weight: 0, matches: [] };

/** `weight` percent to the new revision, no matches. */
export function weighted(weight: number): Traffic {
  return { weight, matches: [] };
}

/** An exact header match. */
export function headerIs(name: string, value: string): TrafficMatch {
  return { on: 'header', name, type: 'Exact', value };
}

/** A stable text form of a traffic split (two equal splits give the same key). */
export function trafficKey(t: Traffic): string {
  const matches = t.matches.map((m) => [m.on, m.name, m.type, m.value]);
  return JSON.stringify(t.sticky ? [t.weight, matches, t.sticky.cookie, t.sticky.value] : [t.weight, matches]);
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

const OPERATOR: Record<MatchType, string> = { Exact: '=', Prefix: '^=', RegularExpression: '~' };

/** `header x-beta=1`, `cookie beta=yes`, `header x-user-id~[0-1][0-9a-f]{2}.*` */
export function describeMatch(m: TrafficMatch): string {
  return `${m.on} ${m.name}${OPERATOR[m.type]}${m.value}`;
}

/** `20%`, `20% + header x-beta=1`, `20% (sticky cookie ramp-canary)` */
export function describeTraffic(t: Traffic): string {
  const text = [`${t.weight}%`, ...t.matches.map(describeMatch)].join(' + ');
  return t.sticky ? `${text} (sticky cookie ${t.sticky.cookie})` : text;
}
