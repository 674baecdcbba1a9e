/** Config resolution: flags over environment, clear refusals naming both ways, namespaces, formats, timeouts. */
import { CliUsageError } from '../../../src/errors';
import { exitCodeFor } from '../../../src/cli/exitCodes';
import { parseOutputFormat, parseTimeout, resolveConnection, resolveNamespace } from '../../../src/cli/config';

describe('resolveConnection', () => {
  it('takes flags over RAMP_URL / RAMP_TOKEN and trims a trailing slash', () => {
    expect(
      resolveConnection({ server: 'http://a:1/', token: 't1' }, { RAMP_URL: 'http://b:2', RAMP_TOKEN: 't2' }),
    ).toEqual({ server: 'http://a:1', token: 't1' });
    expect(resolveConnection({}, { RAMP_URL: 'https://b:2', RAMP_TOKEN: 't2' })).toEqual({
      server: 'https://b:2',
      token: 't2',
    });
  });

  it('refuses a missing server or token naming the flag and the variable, as bad input (exit 2)', () => {
    const noServer = (): unknown => resolveConnection({ token: 't' }, {});
    expect(noServer).toThrow(CliUsageError);
    expect(noServer).toThrow(/--server.*RAMP_URL/);
    const noToken = (): unknown => resolveConnection({ server: 'http://x' }, { RAMP_TOKEN: '  ' });
    expect(noToken).toThrow(/--token.*RAMP_TOKEN/);
    try {
      noToken();
    } catch (e) {
      expect(exitCodeFor(e)).toBe(2);
    }
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => resolveConnection({ server: 'localhost:8080', token: 't' }, {})).toThrow(/http or https/);
    expect(() => resolveConnection({ server: 'not a url', token: 't' }, {})).toThrow(/expected a URL/);
  });
});

describe('resolveNamespace', () => {
  it('uses -n, else the plan, else default', () => {
    expect(resolveNamespace('a', undefined)).toBe('a');
    expect(resolveNamespace(undefined, 'shop')).toBe('shop');
    expect(resolveNamespace(undefined, undefined)).toBe('default');
    expect(resolveNamespace('shop', 'shop')).toBe('shop');
  });

  it("refuses -n that contradicts the plan's namespace", () => {
    expect(() => resolveNamespace('a', 'shop')).toThrow(/-n a does not match the plan's metadata.namespace "shop"/);
  });
});

describe('formats and timeouts', () => {
  it('accepts text, json, yaml only', () => {
    expect(parseOutputFormat(undefined)).toBe('text');
    expect(parseOutputFormat('yaml')).toBe('yaml');
    expect(() => parseOutputFormat('xml')).toThrow(/text, json, yaml/);
  });

  it('parses durations and refuses the rest', () => {
    expect(parseTimeout('30m')).toBe(1_800_000);
    expect(parseTimeout('1s')).toBe(1000);
    expect(parseTimeout(undefined)).toBeUndefined();
    expect(() => parseTimeout('soon')).toThrow(/--timeout: expected a duration/);
    expect(() => parseTimeout('0s')).toThrow(CliUsageError);
  });
});
