import { PrometheusUnavailableError } from './PrometheusUnavailableError';

/** One element of an instant vector. */
export interface PrometheusSample {
  labels: Record<string, string>;
  value: number;
}

/** One element of a range vector: the series' value at each step (epoch ms). */
export interface PrometheusSeries {
  labels: Record<string, string>;
  values: Array<[timeMs: number, value: number]>;
}

/**
 * Instant and range queries against Prometheus' HTTP API (`POST /api/v1/query` and
 * `/api/v1/query_range`). POST, so that a query over every objective of a cell is not bounded
 * by a URL's length. Every request is bounded by the client's timeout, on both sides.
 */
export class PrometheusQueryClient {
  private readonly base: string;

  constructor(readonly baseUrl: string, private readonly timeoutMs: number) {
    // A base URL with a path (a proxy's /prometheus/) keeps it: resolve against a trailing slash.
    this.base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  }

  /** The vector `query` evaluates to at `timeMs`; throws PrometheusUnavailableError. */
  async instantQuery(
    query: string,
    timeMs: number,
  ): Promise<PrometheusSample[]> {
    const result = await this.post(
      'api/v1/query',
      { query, time: (timeMs / 1000).toFixed(3) },
      'vector',
    );
    return (result as Array<{ metric: any; value: [number, string] }>).map(
      sample => ({
        labels: sample.metric ?? {},
        value: Number(sample.value[1]),
      }),
    );
  }

  /**
   * The series `query` evaluates to at `startMs`, `startMs + stepSeconds`, … up to `endMs`;
   * throws PrometheusUnavailableError.
   */
  async rangeQuery(
    query: string,
    range: { startMs: number; endMs: number; stepSeconds: number },
  ): Promise<PrometheusSeries[]> {
    const result = await this.post(
      'api/v1/query_range',
      {
        query,
        start: (range.startMs / 1000).toFixed(3),
        end: (range.endMs / 1000).toFixed(3),
        step: String(range.stepSeconds),
      },
      'matrix',
    );
    return (result as Array<{ metric: any; values: [number, string][] }>).map(
      series => ({
        labels: series.metric ?? {},
        values: series.values.map(
          ([seconds, value]) =>
            [Math.round(seconds * 1000), Number(value)] as [number, number],
        ),
      }),
    );
  }

  private async post(
    path: string,
    params: Record<string, string>,
    resultType: 'vector' | 'matrix',
  ): Promise<unknown[]> {
    const seconds = this.timeoutMs / 1000;
    let body: any;
    let status: number;
    try {
      const response = await fetch(new URL(path, this.base), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          ...params,
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
    if (body.data?.resultType !== resultType) {
      throw new PrometheusUnavailableError(
        'query-failed',
        `Prometheus at ${this.baseUrl} answered a ${body.data?.resultType} where the SLI query yields a ${resultType}`,
      );
    }
    return body.data.result;
  }
}
