/** Builds the authenticator a configuration names; an unknown kind is refused, never defaulted. */
import { UnknownImplementationError } from '../../errors';
import type { KubeClient } from '../../kube/client';
import type { Authenticator } from './authenticator';
import { KubernetesAuthenticator, type KubernetesAuthOptions } from './kubernetesAuth';
import { StaticTokenAuthenticator } from './staticTokens';

/** `staticTokens` from a file or from an inline document (tests, embedding); `kubernetes` through a client. */
export type AuthenticatorConfig =
  | { kind: 'staticTokens'; file: string }
  | { kind: 'staticTokens'; tokens: unknown }
  | ({ kind: 'kubernetes'; kube: KubeClient } & KubernetesAuthOptions);

/** The known authenticator kinds. */
export const AUTHENTICATOR_KINDS = ['staticTokens', 'kubernetes'] as const;

/** The authenticator of `config.kind`; UnknownImplementationError for a kind there is none for. */
export function createAuthenticator(config: AuthenticatorConfig | { kind: string }): Authenticator {
  const c = config as AuthenticatorConfig;
  switch (c.kind) {
    case 'staticTokens':
      return 'file' in c
        ? StaticTokenAuthenticator.fromFile(c.file)
        : new StaticTokenAuthenticator({ tokens: c.tokens }, 'staticTokens.tokens');
    case 'kubernetes': {
      const { kube, ...opts } = c;
      return new KubernetesAuthenticator(kube, opts);
    }
    default:
      throw new UnknownImplementationError('authenticator', config.kind, [...AUTHENTICATOR_KINDS]);
  }
}
