import type { GatewayError } from './GatewayError';

/**
 * How one API writes its errors: the JSON body of an error answer, and the last event of a
 * stream that fails after it started. Callers' SDKs parse these, so each API keeps its own.
 */
export interface ErrorShape {
  body(error: GatewayError): unknown;
  /** `sequence`: the number the stream's next event takes, where its events are numbered. */
  streamEvent(error: GatewayError, sequence?: number): string;
}

/** OpenAI's `{ error: { message, type, param, code } }`: chat, embeddings, models. */
export const OPENAI_ERRORS: ErrorShape = {
  body: error => error.toBody(),
  streamEvent: error => `data: ${JSON.stringify(error.toBody())}\n\n`,
};

/**
 * The Responses API answers errors as OpenAI does; a stream that fails ends with its typed
 * `error` event (which OpenAI's clients raise as an APIError), numbered after the events
 * before it as every Responses event is.
 */
export const RESPONSES_ERRORS: ErrorShape = {
  body: error => error.toBody(),
  streamEvent: (error, sequence = 0) =>
    `event: error\ndata: ${JSON.stringify({
      type: 'error',
      sequence_number: sequence,
      code: error.code,
      message: error.message,
      param: error.options.param ?? null,
    })}\n\n`,
};

/** Anthropic's error `type` for each status the gateway answers with. */
function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

function anthropicBody(error: GatewayError) {
  return {
    type: 'error',
    error: { type: anthropicErrorType(error.status), message: error.message },
  };
}

/** Anthropic's `{ type: "error", error: { type, message } }`, and its `error` stream event. */
export const ANTHROPIC_ERRORS: ErrorShape = {
  body: anthropicBody,
  streamEvent: error =>
    `event: error\ndata: ${JSON.stringify(anthropicBody(error))}\n\n`,
};
