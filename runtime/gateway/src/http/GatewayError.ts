import type { ErrorClass } from '@cellport/plugin-platform-common';

/** OpenAI's error `type` for each status the gateway answers with. */
function errorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'invalid_request_error';
    case 429:
      return 'rate_limit_error';
    default:
      return status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

/**
 * A failure the gateway answers in OpenAI's error JSON shape. The message is meant for the
 * caller: it names the field at fault and never carries secrets or stack traces.
 */
export class GatewayError extends Error {
  readonly type: string;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errorClass: ErrorClass,
    readonly options: { param?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    this.type = errorType(status);
  }

  toBody() {
    return {
      error: {
        message: this.message,
        type: this.type,
        param: this.options.param ?? null,
        code: this.code,
      },
    };
  }

  /** Before any desired state: the reconciler's push, or another replica, comes soon. */
  static notReady(): GatewayError {
    return new GatewayError(
      503,
      'not_ready',
      'gateway has no desired state yet',
      'internal',
      { retryAfterSeconds: 5 },
    );
  }

  /** What a request the gateway's stop cut short answers (`RequestLifecycle.interrupt`). */
  static shuttingDown(): GatewayError {
    return new GatewayError(
      503,
      'gateway_shutting_down',
      'the gateway stopped before this request finished; retry it',
      'internal',
      { retryAfterSeconds: 1 },
    );
  }

  /**
   * What a request gets when the replica holds as many bodies and answers in memory as it may
   * (`BufferedBytes`): another replica, or this one a moment later, can serve it.
   */
  static overloaded(what: 'its body' | 'its answer'): GatewayError {
    return new GatewayError(
      503,
      'gateway_overloaded',
      `the gateway holds too many request bodies and answers in memory to read ${what} now; retry it`,
      'internal',
      { retryAfterSeconds: 1 },
    );
  }

  static invalid(message: string, param?: string): GatewayError {
    return new GatewayError(
      400,
      'invalid_request',
      message,
      'invalid-request',
      { param },
    );
  }
}
