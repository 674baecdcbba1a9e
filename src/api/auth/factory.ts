/** Builds the authenticator a configuration names; an unknown kind is refused, never defaulted. */
import { UnknownImplementationError } from '../../errors';
import type { Authenticator } from './authenticator';
import { StaticTokenAuthenticator } from './staticTokens';

/** `staticTokens` from a file or from an inline document (tests, embedding). */
export type AuthenticatorConfig =
  | { kind: 'staticTokens'; file: string }
  | { kind: 'staticTokens'; tokens: unknown }
  | { kind: string; [option: string]: unknown };

const BUILDERS: Record<string, (config: Record<string, unknown>) => Authenticator> = {
  staticTokens: (c) =>
    typeof c.file === 'string'
      ? StaticTokenAuthenticator.fromFile(c.file)
      : new StaticTokenAuthenticator({ tokens: c.tokens }, 'staticTokens.tokens'),
};

/** Kinds designed but not built yet, with where they come from. */
const PLANNED: Record<string, string> = {
  kubernetes: 'TokenReview/SubjectAccessReview authentication comes with the Helm chart',
};

/** The known authenticator kinds. */
export const AUTHENTICATOR_KINDS = Object.keys(BUILDERS);

/** The authenticator of `config.kind`; UnknownImplementationError for a kind there is none for. */
export function createAuthenticator(config: AuthenticatorConfig): Authenticator {
  if (!Object.hasOwn(BUILDERS, config.kind))
    throw new UnknownImplementationError('authenticator', config.kind, AUTHENTICATOR_KINDS, PLANNED[config.kind]);
  return BUILDERS[config.kind](config);
}
