/**
 * `spec.strategy.gray`: a chosen slice of requests goes to the new revision first — requests matching a
 * header, cookie or query parameter, and an exact, sticky, monotone share of users picked by their id —
 * then, optionally, a weight for everyone else. Compiled into the canary's steps (gray runs on the
 * canary's machinery: src/strategies/canary), with checks against the router's capabilities.
 */
import { z } from 'zod';
import type { FieldProblem } from '../../errors';
import { routerRefOf, routerSpecSchema, type RouterRef } from '../../kube/routers/registry';
import type { RouterCapabilities } from '../../kube/routers/trafficRouter';
import { durationSchema, parseDuration } from '../../plan/duration';
import { intRange } from '../../plan/fields';
import { analyzeStep, compileStep, pauseStep, type CanaryConfig, type CompiledStep } from '../canary/spec';
import type { PlanFacts } from '../strategy';
import { describeMatch, type MatchSource, type MatchType, type TrafficMatch } from '../traffic';
import { patternProblem } from './pattern';
import { type IdFormat, userSliceRegex } from './userSlice';

/** An HTTP token (RFC 9110): what header and cookie names are made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const tokenSchema = (what: string) => {
  const msg = `expected a ${what} name: letters, digits and !#$%&'*+-.^_\`|~, at most 256 characters`;
  return z.string({ error: msg }).max(256, { error: msg }).regex(TOKEN, { error: msg });
};
const literal = z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' }).max(4096);
const pattern = z.string({ error: 'expected a regular expression' }).superRefine((p, ctx) => {
  const problem = patternProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** `{ name, value | prefix | regex }`, exactly one way to compare (prefix only where `prefix`). */
function valueMatch(what: string, prefix: boolean) {
  const ways = prefix ? ['value', 'prefix', 'regex'] : ['value', 'regex'];
  return z
    .strictObject({
      name: tokenSchema(what),
      value: literal.optional(),
      ...(prefix ? { prefix: literal.optional() } : {}),
      regex: pattern.optional(),
    })
    .refine((m) => ways.filter((w) => (m as Record<string, unknown>)[w] !== undefined).length === 1, {
      error: `expected exactly one of ${ways.join(', ')}`,
    });
}

const matchSchema = z.union(
  [
    z.strictObject({ header: valueMatch('header', true) }),
    z.strictObject({ cookie: valueMatch('cookie', false) }),
    z.strictObject({ query: valueMatch('query parameter', false) }),
  ],
  {
    error:
      'expected one of header: { name, value | prefix | regex }, cookie: { name, value | regex }, query: { name, value | regex }',
  },
);
type MatchSpec = z.output<typeof matchSchema>;

export const ID_FORMATS = ['uuid', 'hex', 'decimal', 'bucket'] as const;

const usersSchema = z
  .strictObject({
    percent: z
      .number({ error: 'expected a percentage 0–100' })
      .min(0, { error: 'expected a percentage 0–100' })
      .max(100, { error: 'expected a percentage 0–100' }),
    header: tokenSchema('header').optional(),
    cookie: tokenSchema('cookie').optional(),
    idFormat: z.enum(ID_FORMATS, { error: `expected idFormat: one of ${ID_FORMATS.join(', ')}` }).optional(),
  })
  .refine((u) => !(u.header && u.cookie), { error: 'expected header or cookie (where the user id is), not both' });

const setSliceStep = z.strictObject({
  setSlice: z
    .strictObject({
      matches: z.array(matchSchema, { error: 'expected a list of matches' }).optional(),
      users: usersSchema.optional(),
    })
    .refine((s) => s.matches !== undefined || s.users !== undefined, { error: 'expected matches and/or users' }),
});
const setWeightStep = z.strictObject({ setWeight: intRange(0, 100), sticky: z.boolean().optional() });

export const GRAY_STEP_KINDS = ['setSlice', 'setWeight', 'analyze', 'pause'] as const;

const stepSchema = z.union([setSliceStep, setWeightStep, analyzeStep, pauseStep], {
  error: (iss) => {
    const input: unknown = iss.input;
    if (!input || typeof input !== 'object' || Array.isArray(input))
      return `expected a step: one of ${GRAY_STEP_KINDS.join(', ')}`;
    const keys = Object.keys(input).filter((k) => k !== 'sticky');
    if (keys.length !== 1 || !GRAY_STEP_KINDS.includes(keys[0] as never))
      return `expected exactly one of ${GRAY_STEP_KINDS.join(', ')} (and sticky: true beside setWeight)`;
    return undefined;
  },
});
type GrayStep = z.output<typeof stepSchema>;

export const graySpecSchema = z.strictObject({
  /** Gray needs a router that matches requests: there is no default. */
  router: routerSpecSchema,
  steps: z.array(stepSchema, { error: 'expected a list of steps' }).min(1, { error: 'expected at least one step' }),
  /** The cookie `sticky: true` weight steps set on the new revision's responses. */
  stickyCookie: tokenSchema('cookie').default('ramp-sticky'),
  scaleDownDelay: durationSchema({ min: 0 }).default('30s'),
});
export type GraySpec = z.output<typeof graySpecSchema>;

/** Where the user id is and how it looks, once a setSlice said so (later setSlices inherit it). */
interface UsersSource {
  on: 'header' | 'cookie';
  name: string;
  idFormat?: IdFormat;
  /** The step that said so, for messages. */
  from: number;
}

/** A setSlice as it stands after inheriting from the ones before it. */
interface EffectiveSlice {
  matches: MatchSpec[];
  users?: { percent: number; source?: UsersSource };
}

function matchOf(m: MatchSpec): TrafficMatch {
  const [on, spec] = Object.entries(m)[0] as [
    MatchSource,
    { name: string; value?: string; prefix?: string; regex?: string },
  ];
  const type: MatchType =
    spec.regex !== undefined ? 'RegularExpression' : spec.prefix !== undefined ? 'Prefix' : 'Exact';
  return { on, name: spec.name, type, value: spec.regex ?? spec.prefix ?? spec.value ?? '' };
}

/** Walks the steps, each setSlice inheriting what the one before it said and did not change. */
function effectiveSlices(steps: readonly GrayStep[]): Map<number, EffectiveSlice> {
  const out = new Map<number, EffectiveSlice>();
  let current: EffectiveSlice = { matches: [] };
  steps.forEach((st, i) => {
    if (!('setSlice' in st)) return;
    const { matches, users } = st.setSlice;
    let nextUsers = current.users;
    if (users) {
      const before = current.users?.source;
      const on = users.header ? 'header' : users.cookie ? 'cookie' : before?.on;
      const name = users.header ?? users.cookie ?? before?.name;
      const source =
        on && name
          ? {
              on,
              name,
              idFormat: users.idFormat ?? before?.idFormat,
              from: before && !users.header && !users.cookie && !users.idFormat ? before.from : i,
            }
          : undefined;
      nextUsers = { percent: users.percent, source };
    }
    current = { matches: matches ?? current.matches, users: nextUsers };
    out.set(i, current);
  });
  return out;
}

function usersLabel(percent: number, source: UsersSource): string {
  return `${percent}% of users by ${source.on} ${source.name} (${source.idFormat ?? '?'})`;
}

function compileSlice(slice: EffectiveSlice): CompiledStep {
  const matches = slice.matches.map(matchOf);
  const labels = matches.map(describeMatch);
  const users = slice.users;
  const source = users?.source;
  if (users && source?.idFormat && users.percent > 0) {
    matches.push({
      on: source.on,
      name: source.name,
      type: 'RegularExpression',
      value: userSliceRegex(source.idFormat, users.percent).regex,
    });
    labels.push(usersLabel(users.percent, source));
  }
  return { kind: 'setSlice', matches, labels, usersPercent: users?.percent ?? 0 };
}

/** The gray block compiled into the canary's steps. */
export function compileGray(spec: GraySpec): CanaryConfig {
  const slices = effectiveSlices(spec.steps);
  const steps = spec.steps.map((st, i): CompiledStep => {
    if ('setSlice' in st) return compileSlice(slices.get(i) ?? { matches: [] });
    if ('setWeight' in st)
      return st.sticky
        ? { kind: 'setWeight', weight: st.setWeight, sticky: spec.stickyCookie }
        : { kind: 'setWeight', weight: st.setWeight };
    return compileStep(st);
  });
  return { strategy: 'gray', steps, scaleDownDelayMs: parseDuration(spec.scaleDownDelay) ?? 0 };
}

export function grayRouter(spec: GraySpec): RouterRef {
  return routerRefOf(spec.router);
}

/** What a match needs of the router, or why it cannot have it. */
function matchProblem(m: TrafficMatch, capabilities: RouterCapabilities): string | undefined {
  if (m.on === 'header' && !capabilities.headerMatch) return 'this router cannot match requests by header';
  if (m.on === 'query' && !capabilities.queryMatch)
    return 'this router cannot match requests by query parameter (gatewayApi can)';
  if (m.on === 'cookie') {
    if (!capabilities.cookieMatch) return 'this router cannot match requests by cookie';
    if (!capabilities.cookieValueMatch && !(m.type === 'Exact' && m.value === 'always'))
      return 'this router sends a request to the new revision by cookie only when its value is "always" (NGINX canary-by-cookie): use value: always, or a router that matches cookie values (gatewayApi)';
  }
  if (m.type !== 'Exact' && !capabilities.regexMatch) return 'this router matches exact values only';
  return undefined;
}

/**
 * Checks that need the rest of the plan or the router: a router that matches requests, matches it can
 * express, a user slice that says where the id is and how it looks, a share of users that never shrinks
 * and an id source that never changes (users in the slice stay in it), metrics with traffic to judge.
 */
export function checkGray(spec: GraySpec, facts: PlanFacts, capabilities: RouterCapabilities): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (capabilities.weights !== 'route')
    add(
      'router',
      'gray release needs a router that matches requests: gatewayApi: { httpRoute } or nginxIngress: { ingress }',
    );
  const slices = effectiveSlices(spec.steps);
  let lastPercent = 0;
  let lastSource: UsersSource | undefined;
  let traffic = false;
  spec.steps.forEach((st, i) => {
    const at = `steps[${i}]`;
    if ('setSlice' in st) {
      const slice = slices.get(i);
      st.setSlice.matches?.forEach((m, j) => {
        const problem = matchProblem(matchOf(m), capabilities);
        if (problem) add(`${at}.setSlice.matches[${j}].${Object.keys(m)[0]}`, problem);
      });
      const users = st.setSlice.users;
      const source = slice?.users?.source;
      if (users) {
        const path = `${at}.setSlice.users`;
        if (!source)
          add(path, 'expected header or cookie: where the user id is (say it on the first setSlice with users)');
        else if (!source.idFormat)
          add(
            `${path}.idFormat`,
            `expected idFormat: one of ${ID_FORMATS.join(', ')} — how the user ids look (see the README's gray release section)`,
          );
        else {
          const problem = matchProblem(
            { on: source.on, name: source.name, type: 'RegularExpression', value: '' },
            capabilities,
          );
          if (problem) add(`${path}.${users.header ? 'header' : users.cookie ? 'cookie' : 'percent'}`, problem);
        }
        if (users.percent < lastPercent)
          add(
            `${path}.percent`,
            `expected at least ${lastPercent}: users in the slice stay in it, so the share of users never shrinks`,
          );
        if (
          lastSource &&
          source &&
          (lastSource.on !== source.on || lastSource.name !== source.name || lastSource.idFormat !== source.idFormat)
        )
          add(
            path,
            `expected the same user id as steps[${lastSource.from}] (${lastSource.on} ${lastSource.name}, ${lastSource.idFormat ?? '?'}): a user must stay on one side of the slice`,
          );
        lastPercent = Math.max(lastPercent, users.percent);
        lastSource = lastSource ?? source;
      }
      const compiled = slice && compileSlice(slice);
      if (compiled?.kind === 'setSlice' && compiled.matches.length > 0) traffic = true;
      const headers = new Set(
        compiled?.kind === 'setSlice'
          ? compiled.matches.filter((m) => m.on === 'header').map((m) => m.name.toLowerCase())
          : [],
      );
      if (capabilities.maxHeaderNames !== undefined && headers.size > capabilities.maxHeaderNames)
        add(
          `${at}.setSlice`,
          `this router matches on ${capabilities.maxHeaderNames} header name at most (NGINX has one canary-by-header); this slice needs ${[...headers].join(', ')}`,
        );
      const cookies = new Set(
        compiled?.kind === 'setSlice' ? compiled.matches.filter((m) => m.on === 'cookie').map((m) => m.name) : [],
      );
      if (!capabilities.cookieValueMatch && cookies.size > 1)
        add(
          `${at}.setSlice`,
          `this router matches one cookie name at most; this slice needs ${[...cookies].join(', ')}`,
        );
    }
    if ('setWeight' in st) {
      if (st.setWeight > 0) traffic = true;
      if (st.sticky && !capabilities.sticky)
        add(`${at}.sticky`, 'this router cannot keep a client on the new revision with a cookie');
      if (st.sticky && st.setWeight === 0) add(`${at}.sticky`, 'expected sticky only on a weight above 0');
    }
    if ('analyze' in st) {
      if (facts.metricCount === 0) add(`${at}.analyze`, 'an analyze step needs spec.analysis.metrics');
      else if (!traffic)
        add(
          `${at}.analyze`,
          'an analyze step needs traffic to the new revision first: put a setSlice or setWeight step before it',
        );
    }
  });
  if (facts.metricCount > 0 && !traffic)
    add(
      'steps',
      'the metrics can only judge a new revision that gets traffic: add a setSlice with matches or users, or a setWeight above 0',
    );
  return problems;
}
