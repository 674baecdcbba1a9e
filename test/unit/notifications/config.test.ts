import { notificationsConfigSchema, wants } from '../../../src/notifications/config';
import { notificationBody, signature, slackMessage } from '../../../src/notifications/payload';
import { recordFixture } from '../../helpers/recordFixture';

const problems = (input: unknown) => {
  const r = notificationsConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('notifications config', () => {
  it('names what is wrong', () => {
    expect(problems({ notifiers: [{ name: 'a', webhook: { url: 'ftp://x' } }] })).toEqual([
      'notifiers.0.webhook.url: expected an http(s) URL',
    ]);
    expect(problems({ notifiers: [{ name: 'a', webhook: { url: 'http://x' }, slack: { url: 'http://y' } }] })).toEqual([
      'notifiers.0: expected exactly one of webhook or slack',
    ]);
    expect(problems({ notifiers: [{ name: 'a', slack: {} }] })).toEqual([
      'notifiers.0.slack: expected one of url or urlFile',
    ]);
    expect(problems({ notifiers: [{ name: 'a', webhook: { url: 'http://x' }, events: ['Promotd'] }] })[0]).toMatch(
      /^notifiers\.0\.events\.0: /,
    );
    const twice = { name: 'a', webhook: { url: 'http://x' } };
    expect(problems({ notifiers: [twice, twice] })).toEqual(['notifiers.1.name: "a" is named twice']);
  });

  it('selects by namespace and event type; Analysis only when asked for', () => {
    const [n] = notificationsConfigSchema.parse({
      notifiers: [{ name: 'a', webhook: { url: 'http://x' }, namespaces: ['shop'] }],
    }).notifiers;
    expect(wants(n, 'shop', 'Promoted')).toBe(true);
    expect(wants(n, 'shop', 'Analysis')).toBe(false);
    expect(wants(n, 'other', 'Promoted')).toBe(false);
  });
});

describe('notification payloads', () => {
  const record = recordFixture('shop', 'checkout', 3, 0);
  const body = notificationBody(record, { at: 0, type: 'RollingBack', message: 'analysis failed' }, 'id-1');

  it('carries the rollout, the event and what to run', () => {
    expect(body.rollout).toMatchObject({ id: record.id, namespace: 'shop', app: 'checkout' });
    expect(body.event).toEqual({ type: 'RollingBack', at: '1970-01-01T00:00:00.000Z', message: 'analysis failed' });
    expect(body.commands.status).toBe('ramp status checkout -n shop');
  });

  it('signs the timestamp with the body', () => {
    const s = signature('k', '100', 'body');
    expect(s).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signature('k', '101', 'body')).not.toBe(s);
    expect(signature('k', '100', 'body!')).not.toBe(s);
  });

  it('makes a Slack message with the app, namespace and event', () => {
    expect(slackMessage(body).text).toBe(':warning: *checkout* in `shop` — RollingBack: analysis failed');
  });
});
