import { GatewayDesiredState } from '@cellport/plugin-platform-common';

/** A gateway answered with an error status or could not be reached. */
export class GatewayRequestError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'GatewayRequestError';
  }
}

/**
 * The gateway's control API: `GET /control/state/version` answers `{version}` of the state
 * it runs (the drift check reads no more: the document weighs tens of megabytes at the
 * maxima); `PUT /control/state` replaces it whole. Both need the gateway's admin token.
 */
export class GatewayClient {
  constructor(private readonly timeoutMs: number) {}

  /** The version the gateway runs, or undefined when it runs none yet (404 or no version). */
  async currentVersion(
    baseUrl: string,
    token: string,
  ): Promise<string | undefined> {
    const response = await this.request(
      baseUrl,
      '/control/state/version',
      token,
      { method: 'GET' },
      true,
    );
    if (response.status === 404) return undefined;
    const body = (await response.json().catch(() => ({}))) as {
      version?: unknown;
    };
    return typeof body.version === 'string' ? body.version : undefined;
  }

  async push(
    baseUrl: string,
    token: string,
    state: GatewayDesiredState,
  ): Promise<void> {
    await this.request(baseUrl, '/control/state', token, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(state),
    });
  }

  private async request(
    baseUrl: string,
    path: string,
    token: string,
    init: RequestInit,
    allowNotFound = false,
  ) {
    const url = `${baseUrl.replace(/\/+$/, '')}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          authorization: `Bearer ${token}`,
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new GatewayRequestError(
        `${init.method} ${url} failed: ${(error as Error).message}`,
      );
    }
    if (!response.ok && !(allowNotFound && response.status === 404)) {
      const text = (await response.text().catch(() => '')).slice(0, 300);
      throw new GatewayRequestError(
        `${init.method} ${url} answered ${response.status}${
          text ? `: ${text}` : ''
        }`,
        response.status,
      );
    }
    return response;
  }
}
