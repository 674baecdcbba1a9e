/**
 * The rollout store: one record per rollout in Redis, changed only by a Lua compare-and-set on its
 * `version`, with the indexes the engine and the API need (per namespace, per app, all active). A
 * writer that loses the compare-and-set re-reads and recomputes (`mutate`); nobody needs to be the
 * only writer.
 */
import {
  ActiveRolloutExistsError,
  ConcurrentUpdateError,
  CorruptRecordError,
  InvalidOptionError,
  InvalidRecordError,
  RolloutExistsError,
  RolloutNotFoundError,
  UnexpectedScriptResultError,
} from '../errors';
import type { Redis } from 'ioredis';
import { eventSchema, isTerminal, type RolloutEvent, type RolloutRecord } from './record';
import { decodeRecord } from './recordCodec';
import { DEFAULT_EVENTS_MAX_LEN, EVENT_FIELD, eventsKey } from './events';
import { resolvePrefix, type RedisContext } from './redisConnection';
import { runScript } from './lua/redisScript';
import { CREATE_ROLLOUT, PRUNE_ROLLOUT, ScriptCode, UPDATE_ROLLOUT } from './lua/rolloutScripts';

/** What `update` answers: written, lost the compare-and-set, or no such record. */
export type UpdateResult = 'ok' | 'conflict' | 'missing';

export interface RolloutStoreOptions extends RedisContext {
  /** The clock for `updatedAt` (tests pin it). */
  now?: () => number;
  /** Events kept per rollout stream (events written with a change are appended in the same script). */
  eventsMaxLen?: number;
}

/** A rollout's reconciles that threw, in a row. */
export interface FailureTally {
  count: number;
  /** When the first of them threw (ms since the epoch). */
  since: number;
  /** When the first threw, if every one since was transient (the dependency away rather than a bug). */
  transientSince?: number;
  /** What the rollout was last told about them. */
  previousNote?: string;
}

/** What a mutate function may answer: the next record, optionally with the events that tell of it. */
export type Mutation = RolloutRecord | { record: RolloutRecord; events: RolloutEvent[] } | undefined;

export interface MutateOptions {
  /** How many read-apply-write rounds before giving up with ConcurrentUpdateError. Default 32. */
  maxAttempts?: number;
}

const DEFAULT_MAX_ATTEMPTS = 32;
const DEFAULT_LIST_LIMIT = 50;
/** Index entries read per round while pruning. */
const PRUNE_BATCH = 200;

/** What one prune did. */
export interface PruneResult {
  /** Rollouts deleted with their events. */
  deleted: number;
  /** Old enough but kept: their app's latest rollout (so `GET …/{app}` keeps answering). */
  kept: number;
  /** Records that could not be read (corrupt): left for a human, and counted. */
  unreadable: number;
}

/** `text` matched literally by a Redis glob (SCAN MATCH, KEYS). */
function globLiteral(text: string): string {
  return text.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/** The store's Redis keys under a prefix (exported for tools and tests that look at Redis directly). */
export function storeKeys(prefix: string) {
  return {
    /** Hash {v, json, app}: one rollout. */
    record: (id: string) => `${prefix}:rollout:${id}`,
    /** Hash {active, latest, seq}: one app's pointers and rollout counter. */
    app: (namespace: string, app: string) => `${prefix}:app:${namespace}/${app}`,
    /** Sorted set of rollout ids by createdAt: a namespace's index. */
    namespace: (namespace: string) => `${prefix}:ns:${namespace}:rollouts`,
    /** A SCAN pattern for every namespace's index. */
    namespaces: `${globLiteral(prefix)}:ns:*:rollouts`,
    /** Set of every non-terminal rollout's id. */
    active: `${prefix}:active`,
    /** Hash {count, since, transientSince, note}: a rollout's reconciles that threw, in a row (absent: none). */
    failures: (id: string) => `${prefix}:failures:${id}`,
  };
}

type ScriptResult = { kind: 'ok'; version: number } | { kind: 'conflict' } | { kind: 'missing' };

interface ScriptContext {
  script: string;
  id: string;
  key: string;
  namespace: string;
  app: string;
}

/** The one place script replies become results or errors. */
function interpretReply(reply: unknown, ctx: ScriptContext): ScriptResult {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') throw new UnexpectedScriptResultError(ctx.script, reply);
  const [code, detail] = reply as [number, unknown];
  switch (code) {
    case ScriptCode.Ok:
      return { kind: 'ok', version: Number(detail) };
    case ScriptCode.Conflict:
      return { kind: 'conflict' };
    case ScriptCode.Missing:
      return { kind: 'missing' };
    case ScriptCode.ActiveExists:
      throw new ActiveRolloutExistsError(ctx.namespace, ctx.app, String(detail));
    case ScriptCode.IdTaken:
      throw new RolloutExistsError(ctx.id);
    case ScriptCode.Corrupt:
      throw new CorruptRecordError(ctx.id, ctx.key, String(detail));
    case ScriptCode.IdentityChanged:
      throw new InvalidRecordError(ctx.id, [`namespace/app cannot change (stored under ${String(detail)})`]);
    default:
      throw new UnexpectedScriptResultError(ctx.script, reply);
  }
}

/** Rollout records in Redis with compare-and-set updates. Owns no connection: its owner closes it. */
export class RolloutStore {
  private readonly redis: Redis;
  private readonly keys: ReturnType<typeof storeKeys>;
  private readonly now: () => number;
  private readonly prefix: string;
  private readonly eventsMaxLen: number;
  /** Whether the connection closed and has not been ready since (see `available`). */
  private lost: boolean;

  constructor(options: RolloutStoreOptions) {
    this.redis = options.connection;
    this.prefix = resolvePrefix(options.prefix);
    this.keys = storeKeys(this.prefix);
    this.now = options.now ?? Date.now;
    this.eventsMaxLen = options.eventsMaxLen ?? DEFAULT_EVENTS_MAX_LEN;
    this.lost = ['reconnecting', 'close', 'end'].includes(this.redis.status);
    this.redis.on('close', () => (this.lost = true));
    this.redis.on('ready', () => (this.lost = false));
  }

  /**
   * False once its connection has closed (a failed connect attempt included) until it is ready again.
   * While ioredis reconnects, commands wait for Redis to come back rather than fail (the engine's
   * connections must, for BullMQ); callers that answer people check this first so they can refuse at
   * once. A first connect still under way counts as available: its commands run as soon as it is up.
   */
  get available(): boolean {
    return !this.lost && this.redis.status !== 'end';
  }

  /** Stream key, trim length, field and the validated events' JSON: the script arguments that append events. */
  private eventArgs(id: string, events: readonly RolloutEvent[]): { key: string; argv: (string | number)[] } {
    const json = events.map((e, i) => {
      const parsed = eventSchema.safeParse(e);
      if (!parsed.success)
        throw new InvalidRecordError(
          id,
          parsed.error.issues.map((x) => `events[${i}].${x.path.join('.')}: ${x.message}`),
        );
      return JSON.stringify(parsed.data);
    });
    return { key: eventsKey(this.prefix, id), argv: [this.eventsMaxLen, EVENT_FIELD, ...json] };
  }

  /**
   * Stores a new rollout at version 1, indexes it, and makes it its app's latest (and active, unless
   * terminal) — atomically refused with ActiveRolloutExistsError while the app has an active rollout,
   * and with RolloutExistsError when the id is taken.
   */
  async create(record: RolloutRecord, events: readonly RolloutEvent[] = []): Promise<RolloutRecord> {
    const stored = this.validated({ ...record, version: 1 });
    const key = this.keys.record(stored.id);
    const ev = this.eventArgs(stored.id, events);
    const reply = await runScript(
      this.redis,
      CREATE_ROLLOUT,
      [
        key,
        this.keys.app(stored.namespace, stored.app),
        this.keys.namespace(stored.namespace),
        this.keys.active,
        ev.key,
      ],
      [
        stored.id,
        JSON.stringify(stored),
        stored.createdAt,
        isTerminal(stored.phase) ? '1' : '0',
        this.keys.record(''),
        ...ev.argv,
      ],
    );
    const result = interpretReply(reply, this.context(CREATE_ROLLOUT.name, stored));
    if (result.kind !== 'ok') throw new UnexpectedScriptResultError(CREATE_ROLLOUT.name, reply);
    return stored;
  }

  /** The record, validated; undefined when there is none. Corrupt data throws CorruptRecordError. */
  async get(id: string): Promise<RolloutRecord | undefined> {
    const key = this.keys.record(id);
    let fields: (string | null)[];
    try {
      fields = await this.redis.hmget(key, 'v', 'json');
    } catch (err) {
      throw wrongType(err) ? new CorruptRecordError(id, key, 'not a hash', { cause: err }) : err;
    }
    return this.decode(id, key, fields[0], fields[1]);
  }

  /**
   * Counts one more reconcile of `id` that threw (kept a day at most), notes what it says, and answers
   * the tally: how many in a row, since when, since when only transient ones, and the note before this.
   */
  async recordFailure(id: string, note: string, transient: boolean, now = this.now()): Promise<FailureTally> {
    const key = this.keys.failures(id);
    const [[, count], , , [, before]] = (await this.redis
      .multi()
      .hincrby(key, 'count', 1)
      .hsetnx(key, 'since', String(now))
      .hsetnx(key, 'transientSince', String(now))
      .hget(key, 'note')
      .exec()) as [unknown, unknown][];
    const tx = this.redis
      .multi()
      .hset(key, 'note', note)
      .expire(key, 24 * 3600);
    if (!transient) tx.hdel(key, 'transientSince');
    await tx.exec();
    const tally = await this.failures(id);
    return { ...(tally ?? { since: now }), count: Number(count), previousNote: (before as string | null) ?? undefined };
  }

  /** The failures of `id` in a row so far, or undefined when its last reconcile went through. */
  async failures(id: string): Promise<FailureTally | undefined> {
    const h = await this.redis.hgetall(this.keys.failures(id));
    if (!h.count) return undefined;
    return {
      count: Number(h.count),
      since: Number(h.since),
      transientSince: h.transientSince ? Number(h.transientSince) : undefined,
      previousNote: h.note,
    };
  }

  /** Forgets `id`'s failures (a reconcile went through). */
  async clearFailures(id: string): Promise<void> {
    await this.redis.del(this.keys.failures(id));
  }

  /** The app's most recently created rollout, active or not. */
  async getLatest(namespace: string, app: string): Promise<RolloutRecord | undefined> {
    return this.getByPointer(namespace, app, 'latest');
  }

  /** The app's active (non-terminal) rollout, if any. */
  async getActive(namespace: string, app: string): Promise<RolloutRecord | undefined> {
    const record = await this.getByPointer(namespace, app, 'active');
    return record && !isTerminal(record.phase) ? record : undefined;
  }

  /** A namespace's rollouts, newest first, at most `limit` (default 50). */
  async list(namespace: string, options: { limit?: number } = {}): Promise<RolloutRecord[]> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1)
      throw new InvalidOptionError('limit', `expected a positive integer, got ${limit}`);
    const ids = await this.redis.zrevrange(this.keys.namespace(namespace), 0, limit - 1);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is RolloutRecord => r !== undefined);
  }

  /** Ids of every non-terminal rollout, in no order: what a sweeper re-enqueues. */
  async listActiveIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.active);
  }

  /**
   * Deletes every terminal rollout last updated before `cutoff` (ms since the epoch), with its event
   * stream, except each app's latest rollout. Idempotent, and safe beside workers and other pruners:
   * each deletion re-checks in one script that the record is still at the version judged here (a
   * retry revives a terminal rollout) and is not its app's latest or active one.
   */
  async prune(cutoff: number): Promise<PruneResult> {
    const result: PruneResult = { deleted: 0, kept: 0, unreadable: 0 };
    let cursor = '0';
    do {
      const [next, indexes] = await this.redis.scan(cursor, 'MATCH', this.keys.namespaces, 'COUNT', 100);
      cursor = next;
      for (const index of indexes) await this.pruneIndex(index, cutoff, result);
    } while (cursor !== '0');
    return result;
  }

  /** One namespace's index: entries created before the cutoff (a record is updated after it is created). */
  private async pruneIndex(index: string, cutoff: number, result: PruneResult): Promise<void> {
    // Deleting shifts later entries down, so the offset only moves past the entries left in place.
    let offset = 0;
    for (;;) {
      const ids = await this.redis.zrangebyscore(index, '-inf', `(${cutoff}`, 'LIMIT', offset, PRUNE_BATCH);
      for (const id of ids) {
        if (await this.pruneOne(index, id, cutoff, result)) continue;
        offset++;
      }
      if (ids.length < PRUNE_BATCH) return;
    }
  }

  /** Whether the entry left the index. */
  private async pruneOne(index: string, id: string, cutoff: number, result: PruneResult): Promise<boolean> {
    let record: RolloutRecord | undefined;
    try {
      record = await this.get(id);
    } catch (err) {
      if (!(err instanceof CorruptRecordError)) throw err;
      result.unreadable++;
      return false;
    }
    if (!record) {
      // An index entry without its record (deleted by hand): nothing to keep it for.
      await this.redis.zrem(index, id);
      return true;
    }
    if (!isTerminal(record.phase) || record.updatedAt >= cutoff) return false;
    const keys = [this.keys.record(id), this.keys.app(record.namespace, record.app), index, eventsKey(this.prefix, id)];
    const reply = await runScript(this.redis, PRUNE_ROLLOUT, keys, [id, record.version]);
    const code = Array.isArray(reply) ? reply[0] : undefined;
    if (code === ScriptCode.Ok) result.deleted++;
    else if (code === ScriptCode.Kept) result.kept++;
    else if (code !== ScriptCode.Missing && code !== ScriptCode.Conflict)
      throw new UnexpectedScriptResultError(PRUNE_ROLLOUT.name, reply);
    return code === ScriptCode.Ok || code === ScriptCode.Missing;
  }

  /** The app's next rollout number (1, 2, …); never the same twice. */
  async nextSeq(namespace: string, app: string): Promise<number> {
    return this.redis.hincrby(this.keys.app(namespace, app), 'seq', 1);
  }

  /**
   * Writes `next` if the stored version is still `expectedVersion`, as version expected + 1 with
   * updatedAt now. A terminal phase leaves the app's active pointer in the same script. Throws
   * InvalidRecordError for a record that is invalid or names another rollout or app.
   */
  async update(
    id: string,
    expectedVersion: number,
    next: RolloutRecord,
    events: readonly RolloutEvent[] = [],
  ): Promise<UpdateResult> {
    const result = await this.commit(id, expectedVersion, next, events);
    return result.kind;
  }

  /**
   * Read, apply `fn` to a copy, compare-and-set; on a lost race read again and re-apply. Returns the
   * committed record, or the current one when `fn` returns undefined (no change wanted).
   */
  async mutate(
    id: string,
    fn: (record: RolloutRecord) => Mutation,
    options: MutateOptions = {},
  ): Promise<RolloutRecord> {
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw new InvalidOptionError('maxAttempts', `expected a positive integer, got ${maxAttempts}`);
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await this.get(id);
      if (!current) throw new RolloutNotFoundError(id);
      const out = fn(structuredClone(current));
      if (out === undefined) return current;
      const [next, events] = 'record' in out && 'events' in out ? [out.record, out.events] : [out as RolloutRecord, []];
      const result = await this.commit(id, current.version, next, events);
      if (result.kind === 'ok') return result.record;
      if (result.kind === 'missing') throw new RolloutNotFoundError(id);
    }
    throw new ConcurrentUpdateError(id, maxAttempts);
  }

  private async commit(
    id: string,
    expectedVersion: number,
    next: RolloutRecord,
    events: readonly RolloutEvent[],
  ): Promise<{ kind: 'ok'; record: RolloutRecord } | { kind: 'conflict' | 'missing' }> {
    if (next.id !== id) throw new InvalidRecordError(id, [`id: the record says ${next.id}`]);
    const record = this.validated({ ...next, version: expectedVersion + 1, updatedAt: this.now() });
    const key = this.keys.record(id);
    const ev = this.eventArgs(id, events);
    const reply = await runScript(
      this.redis,
      UPDATE_ROLLOUT,
      [key, this.keys.app(record.namespace, record.app), this.keys.active, ev.key],
      [
        id,
        expectedVersion,
        JSON.stringify(record),
        isTerminal(record.phase) ? '1' : '0',
        this.keys.record(''),
        ...ev.argv,
      ],
    );
    const result = interpretReply(reply, this.context(UPDATE_ROLLOUT.name, record));
    return result.kind === 'ok' ? { kind: 'ok', record } : result;
  }

  private async getByPointer(
    namespace: string,
    app: string,
    pointer: 'active' | 'latest',
  ): Promise<RolloutRecord | undefined> {
    const key = this.keys.app(namespace, app);
    let id: string | null;
    try {
      id = await this.redis.hget(key, pointer);
    } catch (err) {
      throw wrongType(err)
        ? new CorruptRecordError(`${namespace}/${app}`, key, 'app key is not a hash', { cause: err })
        : err;
    }
    return id === null ? undefined : this.get(id);
  }

  private decode(id: string, key: string, version: string | null, json: string | null): RolloutRecord | undefined {
    if (version === null && json === null) return undefined;
    if (json === null) throw new CorruptRecordError(id, key, 'no json field');
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (err) {
      throw new CorruptRecordError(id, key, 'not JSON', { cause: err });
    }
    const decoded = decodeRecord(raw);
    if (!decoded.ok) throw new CorruptRecordError(id, key, decoded.problems.join('; '));
    const record = decoded.record;
    if (record.id !== id) throw new CorruptRecordError(id, key, `holds rollout ${record.id}`);
    if (String(record.version) !== version)
      throw new CorruptRecordError(id, key, `version field ${version} disagrees with the record's ${record.version}`);
    return record;
  }

  private validated(record: RolloutRecord): RolloutRecord {
    const decoded = decodeRecord(record);
    if (!decoded.ok) throw new InvalidRecordError(record.id, decoded.problems);
    return decoded.record;
  }

  private context(script: string, record: RolloutRecord): ScriptContext {
    return { script, id: record.id, key: this.keys.record(record.id), namespace: record.namespace, app: record.app };
  }
}

function wrongType(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('WRONGTYPE');
}
