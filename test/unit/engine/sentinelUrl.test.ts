import { InvalidOptionError } from '../../../src/errors';
import { parseSentinelUrl } from '../../../src/engine/redisConnection';

describe('redis+sentinel:// URLs', () => {
  it('is not a Sentinel URL unless its scheme says so', () => {
    for (const url of ['redis://127.0.0.1:6379', 'rediss://r:6380/2', 'redis+sentinel:/x', 'sentinel://h/m'])
      expect(parseSentinelUrl(url)).toBeUndefined();
  });

  it('reads the Sentinels, the master, its credentials and the database', () => {
    expect(
      parseSentinelUrl(
        'redis+sentinel://ramp:s%40cret@s1.redis:26380,s2.redis,[::1]:26381/mymaster?db=3&sentinelPassword=sp',
      ),
    ).toEqual({
      sentinels: [
        { host: 's1.redis', port: 26380 },
        { host: 's2.redis', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      username: 'ramp',
      password: 's@cret',
      db: 3,
      sentinelPassword: 'sp',
    });
    expect(parseSentinelUrl('rediss+sentinel://:pw@s1/m?sentinelTls=true')).toEqual({
      sentinels: [{ host: 's1', port: 26379 }],
      name: 'm',
      password: 'pw',
      tls: {},
      enableTLSForSentinelMode: true,
      sentinelTLS: {},
    });
  });

  it.each([
    ['redis+sentinel://s1:26379', 'no master name'],
    ['redis+sentinel://s1:26379/', 'no master name'],
    ['redis+sentinel://s1:99999/m', '"s1:99999" is not a host[:port]'],
    ['redis+sentinel://s1:26379,/m', '"" is not a host[:port]'],
    ['redis+sentinel://s1/m?db=x', 'db "x" is not a database number'],
    ['redis+sentinel://s1/m?password=x', 'unknown parameter "password"'],
  ])('refuses %s naming --redis-url and what is wrong', (url, why) => {
    let err: unknown;
    try {
      parseSentinelUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe('redis-url');
    expect((err as InvalidOptionError).problem).toContain(why);
  });
});
