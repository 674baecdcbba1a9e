/**
 * Label selectors evaluated as the API server and the controllers evaluate them, so Ramp can tell from
 * what it reads which pods a Service sends requests to and which ReplicaSets a Deployment's controller
 * would take over — without asking for the pods themselves.
 */
import type { V1LabelSelector } from '@kubernetes/client-node';

type Labels = Readonly<Record<string, string>>;

/** Whether every `key: value` of `wanted` is among `labels` (an equality selector, as a Service's). */
export function hasLabels(labels: Labels, wanted: Labels): boolean {
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

/**
 * Whether a Service with `selector` sends requests to pods labelled `labels`. A Service without a
 * selector (or an empty one) selects no pod: its endpoints are written by hand.
 */
export function serviceSelects(selector: Labels | undefined, labels: Labels): boolean {
  return !!selector && Object.keys(selector).length > 0 && hasLabels(labels, selector);
}

/**
 * Whether a workload's label selector (matchLabels and matchExpressions, ANDed) matches `labels`. An
 * empty selector matches everything and an absent one nothing, as in apps/v1.
 */
export function selectorMatches(selector: V1LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  if (!hasLabels(labels, selector.matchLabels ?? {})) return false;
  return (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        return has && values.includes(labels[e.key]);
      case 'NotIn':
        return !has || !values.includes(labels[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        // The API server refuses other operators; a selector Ramp cannot read is taken to match nothing.
        return false;
    }
  });
}

/** The label keys a selector looks at (its matchLabels and matchExpressions). */
export function selectorKeys(selector: V1LabelSelector | undefined): string[] {
  const keys = new Set([
    ...Object.keys(selector?.matchLabels ?? {}),
    ...(selector?.matchExpressions ?? []).map((e) => e.key),
  ]);
  return [...keys];
}

/** `app=checkout,tier in (web)`: a selector as kubectl shows it, for messages. */
export function describeSelector(selector: V1LabelSelector | Labels | undefined): string {
  if (!selector) return '(none)';
  const isWorkload = 'matchLabels' in selector || 'matchExpressions' in selector;
  const matchLabels = isWorkload ? ((selector as V1LabelSelector).matchLabels ?? {}) : (selector as Labels);
  const expressions = isWorkload ? ((selector as V1LabelSelector).matchExpressions ?? []) : [];
  const parts = [
    ...Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`),
    ...expressions.map((e) =>
      e.operator === 'Exists'
        ? e.key
        : e.operator === 'DoesNotExist'
          ? `!${e.key}`
          : `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`,
    ),
  ];
  return parts.length ? parts.join(',') : '(everything)';
}
