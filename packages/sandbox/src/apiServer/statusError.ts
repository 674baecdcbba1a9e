/**
 * Kubernetes API errors, carried as exceptions inside the sandbox and written as `Status` bodies on the
 * wire. This is the Kubernetes protocol, not a Ramp user error, so it lives with the API server.
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

const CODES: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  Invalid: 422,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  UnsupportedMediaType: 415,
  RequestEntityTooLarge: 413,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** The JSON body Kubernetes sends for an error (and for a successful delete of some kinds). */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  override readonly name = 'StatusError';
  readonly code: number;

  constructor(
    readonly reason: StatusReason,
    message: string,
    readonly details: StatusDetails = {},
  ) {
    super(message);
    this.code = CODES[reason];
  }

  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (Object.keys(this.details).length > 0) body.details = this.details;
    return body;
  }

  static notFound(group: string, resource: string, name: string): StatusError {
    const gr = group ? `${resource}.${group}` : resource;
    return new StatusError('NotFound', `${gr} "${name}" not found`, { name, group, kind: resource });
  }

  static alreadyExists(group: string, resource: string, name: string): StatusError {
    const gr = group ? `${resource}.${group}` : resource;
    return new StatusError('AlreadyExists', `${gr} "${name}" already exists`, { name, group, kind: resource });
  }

  static conflict(group: string, resource: string, name: string, why: string): StatusError {
    const gr = group ? `${resource}.${group}` : resource;
    return new StatusError('Conflict', `Operation cannot be fulfilled on ${gr} "${name}": ${why}`, {
      name,
      group,
      kind: resource,
    });
  }

  static invalid(group: string, kind: string, name: string, causes: StatusCause[]): StatusError {
    const list = causes.map((c) => `${c.field ? c.field + ': ' : ''}${c.message}`).join(', ');
    return new StatusError('Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${list}`, {
      name,
      group,
      kind,
      causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
    });
  }

  static badRequest(message: string): StatusError {
    return new StatusError('BadRequest', message);
  }
}
