import { RampError } from '../rampError';
import type { BadInput } from '../markers';

/** A request body in a content type the endpoint does not read. */
export class UnsupportedMediaTypeError extends RampError implements BadInput {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly badInput = true as const;

  constructor(
    readonly contentType: string | undefined,
    readonly accepted: readonly string[],
  ) {
    super(
      `${contentType ? `content type ${contentType} is not accepted` : 'a body needs a Content-Type'}; send one of: ${accepted.join(', ')}`,
    );
  }
}
