/**
 * A request parameter this endpoint's provider cannot take (n > 1 on Anthropic, audio output, logprobs…).
 * Thrown by a codec before any network call: the endpoint refuses the request, others may serve it, and the
 * circuit is not charged unless another endpoint answered the same request (classify.ts: `param_rejected`).
 * `message` is ours and never quotes the request's values.
 */
export class UnsupportedParameterError extends Error {
  readonly isUnsupportedParameterError = true;
  constructor(
    /** The OpenAI parameter refused, e.g. `n`, `messages`, `response_format`. */
    readonly param: string,
    /** The provider type refusing it. */
    readonly providerType: string,
    reason: string,
  ) {
    super(`${providerType} endpoints cannot take \`${param}\`: ${reason}`);
    this.name = 'UnsupportedParameterError';
  }

  /** The OpenAI-shaped error body a caller gets back when no endpoint could serve the request. */
  get body(): { message: string; type: 'invalid_request_error'; param: string; code: 'unsupported_parameter' } {
    return { message: this.message, type: 'invalid_request_error', param: this.param, code: 'unsupported_parameter' };
  }
}

/** By its marker, not `instanceof`: true for an error from another copy of the package too. */
export function isUnsupportedParameterError(e: unknown): e is UnsupportedParameterError {
  return typeof e === 'object' && e !== null && (e as { isUnsupportedParameterError?: unknown }).isUnsupportedParameterError === true;
}
