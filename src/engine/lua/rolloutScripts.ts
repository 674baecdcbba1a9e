/**
 * The store's Lua scripts. A record is a hash: `v` (the version the compare-and-set checks), `json`
 * (the record, whose `version` equals `v`) and `app` (the key of its app's hash, so an update cannot
 * move a rollout to another app). Every script answers `{code, detail?}` with a ScriptCode; the store
 * turns codes into results or errors in one function.
 */
import { defineScript } from './redisScript';

/** What the scripts answer. Negative codes are refusals; the detail says more (a version, an id). */
export enum ScriptCode {
  Ok = 0,
  /** No record under the id. */
  Missing = -1,
  /** The stored version is not the expected one; detail: the stored version. */
  Conflict = -2,
  /** The app already has an active rollout; detail: its id. */
  ActiveExists = -3,
  /** A record already exists under the id. */
  IdTaken = -4,
  /** A key holds something that is not what the store writes; detail: what is wrong. */
  Corrupt = -5,
  /** The update names another app than the stored record; detail: the stored app key. */
  IdentityChanged = -6,
  /** Not deleted: the record is its app's latest or active one; detail: which. */
  Kept = -7,
}

// Events are appended in the same script as the record changes they tell of: a worker killed right
// after a commit must not lose the event that says a rollout was promoted or rolled back.
const APPEND_EVENTS = `
local function appendEvents(streamKey, maxLen, field, first)
  for i = first, #ARGV do
    redis.call('XADD', streamKey, 'MAXLEN', '~', maxLen, '*', field, ARGV[i])
  end
end
`;

// Shared by both scripts: the app hash must be a hash (or absent), and its active pointer only counts
// when the record it names still exists.
const LIVE_ACTIVE = `
local function liveActive(appKey, recordPrefix)
  local t = redis.call('TYPE', appKey).ok
  if t ~= 'none' and t ~= 'hash' then return nil, 'app key ' .. appKey .. ' is a ' .. t end
  local active = redis.call('HGET', appKey, 'active')
  if active and redis.call('EXISTS', recordPrefix .. active) == 1 then return active end
  return false
end
`;

/**
 * KEYS: record, app hash, namespace index (zset), active set, event stream.
 * ARGV: id, json, createdAt (index score), terminal ('1'|'0'), record key prefix, stream max length,
 * event field, then the events (JSON) to append.
 */
export const CREATE_ROLLOUT = defineScript(
  'createRollout',
  5,
  `${LIVE_ACTIVE}${APPEND_EVENTS}
if redis.call('EXISTS', KEYS[1]) == 1 then return {${ScriptCode.IdTaken}} end
local active, problem = liveActive(KEYS[2], ARGV[5])
if problem then return {${ScriptCode.Corrupt}, problem} end
if active then return {${ScriptCode.ActiveExists}, active} end
redis.call('HSET', KEYS[1], 'v', 1, 'json', ARGV[2], 'app', KEYS[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], 'latest', ARGV[1])
if ARGV[4] == '1' then
  redis.call('HDEL', KEYS[2], 'active')
else
  redis.call('HSET', KEYS[2], 'active', ARGV[1])
  redis.call('SADD', KEYS[4], ARGV[1])
end
appendEvents(KEYS[5], ARGV[6], ARGV[7], 8)
return {${ScriptCode.Ok}, 1}
`,
);

/**
 * KEYS: record, app hash, active set, event stream.
 * ARGV: id, expected version, json, terminal ('1'|'0'), record key prefix, stream max length, event
 * field, then the events (JSON) to append.
 * A terminal record leaves the active pointer and set; a non-terminal one (a retried rollout) takes
 * them back, unless another rollout of the app became active meanwhile.
 */
export const UPDATE_ROLLOUT = defineScript(
  'updateRollout',
  4,
  `${LIVE_ACTIVE}${APPEND_EVENTS}
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'none' then return {${ScriptCode.Missing}} end
if t ~= 'hash' then return {${ScriptCode.Corrupt}, 'record key is a ' .. t} end
local fields = redis.call('HMGET', KEYS[1], 'v', 'app')
local v = tonumber(fields[1])
if not v then return {${ScriptCode.Corrupt}, 'no version field'} end
if fields[2] ~= KEYS[2] then return {${ScriptCode.IdentityChanged}, tostring(fields[2])} end
if v ~= tonumber(ARGV[2]) then return {${ScriptCode.Conflict}, v} end
local active, problem = liveActive(KEYS[2], ARGV[5])
if problem then return {${ScriptCode.Corrupt}, problem} end
if ARGV[4] == '1' then
  if active == ARGV[1] then redis.call('HDEL', KEYS[2], 'active') end
  redis.call('SREM', KEYS[3], ARGV[1])
else
  if active and active ~= ARGV[1] then return {${ScriptCode.ActiveExists}, active} end
  redis.call('HSET', KEYS[2], 'active', ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[1])
end
redis.call('HSET', KEYS[1], 'v', v + 1, 'json', ARGV[3])
appendEvents(KEYS[4], ARGV[6], ARGV[7], 8)
return {${ScriptCode.Ok}, v + 1}
`,
);

/**
 * KEYS: record, app hash, namespace index (zset), event stream.
 * ARGV: id, expected version.
 * Deletes a rollout and its events, and drops it from its namespace's index, if it is still at the
 * version the caller judged (terminal and old enough: a retry could have revived it since) and is
 * neither its app's latest nor active rollout. An index entry whose record is gone is dropped too.
 */
export const PRUNE_ROLLOUT = defineScript(
  'pruneRollout',
  4,
  `
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'none' then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return {${ScriptCode.Missing}}
end
if t ~= 'hash' then return {${ScriptCode.Corrupt}, 'record key is a ' .. t} end
local fields = redis.call('HMGET', KEYS[1], 'v', 'app')
if fields[2] ~= KEYS[2] then return {${ScriptCode.IdentityChanged}, tostring(fields[2])} end
local v = tonumber(fields[1])
if v ~= tonumber(ARGV[2]) then return {${ScriptCode.Conflict}, v or -1} end
local pointers = redis.call('HMGET', KEYS[2], 'latest', 'active')
if pointers[1] == ARGV[1] then return {${ScriptCode.Kept}, 'latest'} end
if pointers[2] == ARGV[1] then return {${ScriptCode.Kept}, 'active'} end
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('ZREM', KEYS[3], ARGV[1])
return {${ScriptCode.Ok}, v}
`,
);
