import { LoggerService } from '@backstage/backend-plugin-api';

/** One demo caller: a gateway, a demo tenant's (or agent's) key, and the models it asks for. */
export interface TrafficTarget {
  /** Base URL of the cell's gateway, e.g. http://localhost:7080. */
  gatewayUrl: string;
  /** A demo API key; the gateway knows its hash through the reconciler. */
  apiKey: string;
  /** Model names (aliases) this caller asks for, picked at random per request. */
  models: string[];
}

/** What the generator has sent so far. */
export interface TrafficStats {
  sent: number;
  succeeded: number;
  /** Answered with an error status (the gateway's failures, limits and rejections). */
  failed: number;
  /** Could not reach the gateway. */
  unreachable: number;
}

const PROMPTS = [
  'Where is my order 4471?',
  'Summarise the attached return policy for a customer in two sentences.',
  'Explain photosynthesis to a ten-year-old, with one example from a garden.',
  'Classify this transaction as fraud or not, and say why: card present, 3 AM, new merchant.',
  'Draft a polite reply declining the refund, citing the 30-day window, and offer store credit.',
];

/**
 * Sends live demo traffic through the gateways at a few requests per second: OpenAI-style
 * chat completions with the demo keys, a mix of models, prompt sizes and streaming, so the
 * dashboards move on a first start. Failures and fallbacks come from the upstreams (the
 * simulator's error rates); the generator only counts what it gets back.
 */
export class TrafficGenerator {
  readonly stats: TrafficStats = {
    sent: 0,
    succeeded: 0,
    failed: 0,
    unreachable: 0,
  };
  private timer?: ReturnType<typeof setInterval>;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly targets: TrafficTarget[],
    private readonly options: {
      requestsPerSecond: number;
      logger: LoggerService;
      /** Source of randomness, injectable for tests. */
      random?: () => number;
      timeoutMs?: number;
    },
  ) {}

  start(): void {
    if (this.timer || this.targets.length === 0) return;
    const interval = 1000 / Math.max(0.1, this.options.requestsPerSecond);
    this.timer = setInterval(() => {
      const request = this.sendOne().finally(() =>
        this.inFlight.delete(request),
      );
      this.inFlight.add(request);
    }, interval);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.inFlight);
  }

  /** Sends one request to a random target and counts its outcome. */
  async sendOne(): Promise<void> {
    const random = this.options.random ?? Math.random;
    const target = this.targets[Math.floor(random() * this.targets.length)];
    const model = target.models[Math.floor(random() * target.models.length)];
    const stream = random() < 0.6;
    // Prompts of very different lengths, as agents with tools and context packs send.
    const repeat = 1 + Math.floor(random() ** 3 * 40);
    const prompt = Array.from(
      { length: repeat },
      () => PROMPTS[Math.floor(random() * PROMPTS.length)],
    ).join('\n');
    this.stats.sent += 1;
    try {
      const response = await fetch(
        `${target.gatewayUrl.replace(/\/+$/, '')}/v1/chat/completions`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${target.apiKey}`,
          },
          body: JSON.stringify({
            model,
            stream,
            max_tokens: 64 + Math.floor(random() * 400),
            messages: [{ role: 'user', content: prompt }],
          }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
        },
      );
      // Read the whole body (a stream to its end), as a client would.
      await response.arrayBuffer();
      if (response.ok) this.stats.succeeded += 1;
      else this.stats.failed += 1;
    } catch (error) {
      this.stats.unreachable += 1;
      if (this.stats.unreachable % 100 === 1) {
        this.options.logger.warn(
          `Demo traffic: ${target.gatewayUrl} unreachable: ${
            (error as Error).message
          }`,
        );
      }
    }
  }
}
