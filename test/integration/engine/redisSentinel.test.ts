/**
 * Ramp's Redis connection through Sentinel, with real processes: a master, a replica and a Sentinel
 * (redis-server --sentinel). Ramp connects with a `redis+sentinel://` URL, writes to the master, and
 * after a failover the Sentinel performs (SENTINEL FAILOVER) its writes land on the new master, with
 * no reconnection by hand. The connection is the one the engine makes from --redis-url.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitFor } from '@ramp/sandbox';
import { createRedisConnection } from '../../../src/engine/redisConnection';

jest.setTimeout(60_000);

const MASTER = 'ramp-master';

describe('Redis through Sentinel', () => {
  const processes: ChildProcess[] = [];
  const clients: Redis[] = [];
  let dir = '';
  const ports = { master: 0, replica: 0, sentinel: 0 };

  function server(args: string[]): void {
    const p = spawn('redis-server', args, { stdio: 'ignore' });
    processes.push(p);
  }

  function direct(port: number): Redis {
    const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ramp-sentinel-'));
    ports.master = await freePort();
    ports.replica = await freePort();
    ports.sentinel = await freePort();
    const common = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'];
    server(['--port', String(ports.master), '--dir', dir, '--dbfilename', 'm.rdb', ...common]);
    server(['--port', String(ports.replica), '--dir', dir, '--dbfilename', 'r.rdb', ...common]);
    await waitFor(async () => (await direct(ports.master).ping()) === 'PONG', 'the master', 10_000, 50);
    await direct(ports.replica).replicaof('127.0.0.1', ports.master);
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${ports.sentinel}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${MASTER} 127.0.0.1 ${ports.master} 1`,
        `sentinel down-after-milliseconds ${MASTER} 1000`,
        `sentinel failover-timeout ${MASTER} 10000`,
        '',
      ].join('\n'),
    );
    server([conf, '--sentinel']);
    await waitFor(
      async () => (await direct(ports.replica).info('replication')).includes('master_link_status:up'),
      'the replica to follow the master',
      15_000,
      100,
    );
    // The Sentinel must know the replica before it can fail over to it.
    const sentinel = direct(ports.sentinel);
    await waitFor(
      async () => ((await sentinel.call('SENTINEL', 'REPLICAS', MASTER)) as unknown[]).length === 1,
      'the Sentinel to see the replica',
      20_000,
      100,
    );
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    for (const p of processes) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes to the master the Sentinel names, and follows a failover to the new one', async () => {
    const ramp = createRedisConnection(`redis+sentinel://127.0.0.1:${ports.sentinel}/${MASTER}`, {
      name: 'ramp-engine',
    });
    clients.push(ramp);
    await ramp.set('ramp:test:before', 'a');
    expect(await direct(ports.master).get('ramp:test:before')).toBe('a');
    const names = (await direct(ports.master).client('LIST')) as string;
    expect(names).toContain('name=ramp-engine');

    await direct(ports.sentinel).call('SENTINEL', 'FAILOVER', MASTER);
    await waitFor(
      async () => (await direct(ports.replica).info('replication')).includes('role:master'),
      'the replica to be promoted',
      30_000,
      100,
    );
    // Ramp's next writes reach the new master without anyone reconnecting it.
    await waitFor(
      async () => {
        await ramp.set('ramp:test:after', 'b');
        return (await direct(ports.replica).get('ramp:test:after')) === 'b';
      },
      'a write through Ramp to reach the new master',
      30_000,
      200,
    );
    expect(await ramp.get('ramp:test:before')).toBe('a');
  });
});
