/**
 * What an API command resolves before it acts: the output format, the connection (flags, then
 * RAMP_URL / RAMP_TOKEN) and a client. Streams and environment are injectable for tests.
 */
import { RampApiClient } from './apiClient';
import { parseOutputFormat, resolveConnection, type ApiFlags, type OutputFormat } from './config';

/** The process's streams and environment, as commands use them. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  /** Progress (live view or plain lines) and warnings. */
  stderr: NodeJS.WriteStream;
  env: Readonly<Record<string, string | undefined>>;
}

/** The real process's streams and environment. */
export const processIO = (): CliIO => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** What an API command works with once its flags are resolved. */
export interface ApiContext {
  client: RampApiClient;
  format: OutputFormat;
  io: CliIO;
}

/** Resolves format and connection (bad input first, before anything is read or sent) and builds the client. */
export function apiContext(flags: ApiFlags, io: CliIO = processIO()): ApiContext {
  const format = parseOutputFormat(flags.output);
  const connection = resolveConnection(flags, io.env);
  return { client: new RampApiClient(connection), format, io };
}
