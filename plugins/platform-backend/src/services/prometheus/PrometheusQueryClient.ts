import { PrometheusUnavailableError } from './PrometheusUnavailableError';

/** One element of an instant vector. */
export interface PrometheusSample {
  labels: Record<string, string>;
  value: number;
}

/**
 * Instant queries against Prometheus' HTTP API (`POST /api/v1/query`). POST, so that a query
 * over every objective of a cell is not bounded by a URL's length.
 */
export class PrometheusQueryClient {
  private readonly endpoint: URL;

  constructor(readonly baseUrl: string, private readonly timeoutMs: number) {
    // A base URL with a path (a proxy's /prometheus/) keeps it: resolve against a trailing slash.
    this.endpoint = new URL(
      'api/v1/query',
      baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`,
    );
  }

  /** The vector `query` evaluates to at `timeMs`; throws PrometheusUnavailableError. */
  async instantQuery(
    query: string,
    timeMs: number,
  ): Promise<PrometheusSample[]> {
    const seconds = this.timeoutMs / 1000;
    let body: any;
    let status: number;
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          query,
          time: (timeMs / 1000).toFixed(3),
          // Prometheus gives up on its side too, so it does not keep computing for nobody.
          // Plain seconds: its durations ("10s") take no fractions, its floats do.
          timeout: String(seconds),
        }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      const text = await response.text();
      try {
        body = JSON.parse(text);
      } catch {
        body = { error: text.slice(0, 200) };
      }
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new PrometheusUnavailableError(
          'unreachable',
          `Prometheus at ${this.baseUrl} did not answer within ${seconds} s`,
        );
      }
      const cause = (error as { cause?: { code?: string; message?: string } })
        .cause;
      throw new PrometheusUnavailableError(
        'unreachable',
        `Prometheus at ${this.baseUrl} is unreachable: ${
          cause?.code ?? cause?.message ?? (error as Error).message
        }`,
      );
    }
    if (status >= 300 || body?.status !== 'success') {
      throw new PrometheusUnavailableError(
        'query-failed',
        `Prometheus at ${
          this.baseUrl
        } refused the SLI query (HTTP ${status}): ${
          body?.error ?? 'no error given'
        }`,
      );
    }
    if (body.data?.resultType !== 'vector') {
      throw new PrometheusUnavailableError(
        'query-failed',
        `Prometheus at ${this.baseUrl} answered a ${body.data?.resultType} where the SLI query yields a vector`,
      );
    }
    return (
      body.data.result as Array<{ metric: any; value: [number, string] }>
    ).map(sample => ({
      labels: sample.metric ?? {},
      value: Number(sample.value[1]),
    }));
  }
}
