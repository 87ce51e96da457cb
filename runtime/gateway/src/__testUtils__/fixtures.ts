import { createServer, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  eventBatchSchema,
  GatewayDesiredState,
  GatewayModelProfile,
  PlatformEvent,
  platformEventSchema,
} from '@cellport/plugin-platform-common';
import { SimulatorServer } from '@cellport/simulator';
import { hashApiKey } from '../auth/ApiKeyAuthenticator';
import type { GatewayConfig } from '../config/GatewayConfig';
import { createGateway, Gateway, GatewayOverrides } from '../createGateway';
import type { EventSink } from '../events/EventSink';

/** Plain API keys of the test state; only their hashes go into the state. */
export const KEYS = {
  northwind: 'cp-test-northwind-0001',
  northwindAgent: 'cp-test-northwind-agent-0001',
  brightpath: 'cp-test-brightpath-0001',
  brightpathOld: 'cp-test-brightpath-old-0001',
};

export const ADMIN_TOKEN = 'test-admin-token';

/**
 * POSTs a JSON request to a gateway's chat completions (or `path`) as `key`'s caller, the
 * northwind tenant unless told.
 */
export function postChat(
  url: string,
  body: Record<string, unknown>,
  options: { key?: string; signal?: AbortSignal; path?: string } = {},
): Promise<Response> {
  return fetch(`${url}${options.path ?? '/v1/chat/completions'}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${options.key ?? KEYS.northwind}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
    signal: options.signal,
  });
}

/**
 * POSTs a streaming request as Brightpath's caller, reads it until `marker` shows (the answer
 * is under way), then leaves. Returns the HTTP status.
 */
export async function streamThenLeave(
  url: string,
  path: string,
  body: object,
  marker: string,
): Promise<number> {
  const abort = new AbortController();
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${KEYS.brightpath}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
    signal: abort.signal,
  });
  if (response.status !== 200) {
    await response.text();
    return response.status;
  }
  const reader = response.body!.getReader();
  let seen = '';
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
    if (seen.includes(marker)) break;
  }
  abort.abort();
  await reader.cancel().catch(() => undefined);
  return 200;
}

/** Starts a simulator that answers instantly unless a test slows it. */
export async function startSimulator(): Promise<SimulatorServer> {
  const simulator = new SimulatorServer({
    port: 0,
    defaults: {
      ttftMs: 0,
      tokensPerSecond: 0,
      errorRate: 0,
      maxOutputTokens: 4096,
      embeddingDimensions: 8,
    },
  });
  await simulator.start();
  return simulator;
}

/** A chat profile served at `simulatorUrl`, with the fields given. */
export function testProfile(
  simulatorUrl: string,
  fields: Partial<GatewayModelProfile> &
    Pick<GatewayModelProfile, 'id' | 'alias' | 'region'>,
): GatewayModelProfile {
  return {
    type: 'chat',
    provider: 'simulator',
    upstreamModel: `${fields.id}-model`,
    endpoint: `${simulatorUrl}/v1`,
    qualityTier: 'standard',
    contextLength: 128_000,
    maxOutputTokens: 4096,
    features: ['tools', 'vision', 'json-mode', 'custom-tools'],
    inputPerMillionUsd: 1,
    outputPerMillionUsd: 2,
    maxClassification: 'CONFIDENTIAL',
    ...fields,
  };
}

/**
 * Two tenants: Northwind is pinned to eu-west-1 with INTERNAL data; Brightpath has no
 * residency, PUBLIC data and the prompt cache allowed. `gpt-4o` exists in the EU and the US.
 */
export function testState(
  simulatorUrl: string,
  version = 'v1',
): GatewayDesiredState {
  return {
    schemaVersion: 1,
    version,
    cell: 'eu-west-shared-1',
    tenants: [
      {
        id: 'northwind',
        monthlyBudgetUsd: 100,
        limits: { requestsPerMinute: 10_000, tokensPerMinute: 100_000_000 },
        allowedModels: ['eu-large', 'eu-small', 'us-large', 'eu-embed'],
        residencyRegions: ['eu-west-1'],
        classification: 'INTERNAL',
        promptCache: false,
      },
      {
        id: 'brightpath',
        monthlyBudgetUsd: 50,
        limits: { requestsPerMinute: 10_000, tokensPerMinute: 100_000_000 },
        allowedModels: ['us-large', 'us-small', 'claude'],
        residencyRegions: [],
        classification: 'PUBLIC',
        promptCache: true,
      },
    ],
    apiKeys: [
      {
        sha256: hashApiKey(KEYS.northwind),
        prefix: 'cp-test-nort',
        tenant: 'northwind',
      },
      {
        sha256: hashApiKey(KEYS.northwindAgent),
        prefix: 'cp-test-nwag',
        tenant: 'northwind',
        agent: 'nw-assistant',
      },
      {
        sha256: hashApiKey(KEYS.brightpath),
        prefix: 'cp-test-brig',
        tenant: 'brightpath',
      },
      {
        sha256: hashApiKey(KEYS.brightpathOld),
        prefix: 'cp-test-bold',
        tenant: 'brightpath',
        expiresAt: '2030-01-01T00:00:00Z',
      },
    ],
    modelProfiles: [
      testProfile(simulatorUrl, {
        id: 'eu-large',
        alias: 'gpt-4o',
        region: 'eu-west-1',
        qualityTier: 'frontier',
        inputPerMillionUsd: 2.5,
        outputPerMillionUsd: 10,
      }),
      testProfile(simulatorUrl, {
        id: 'eu-small',
        alias: 'gpt-4o-mini',
        region: 'eu-west-1',
        qualityTier: 'economy',
        inputPerMillionUsd: 0.15,
        outputPerMillionUsd: 0.6,
        maxClassification: 'INTERNAL',
      }),
      testProfile(simulatorUrl, {
        id: 'us-large',
        alias: 'gpt-4o',
        region: 'us-east-1',
        qualityTier: 'frontier',
        inputPerMillionUsd: 2.5,
        outputPerMillionUsd: 10,
      }),
      testProfile(simulatorUrl, {
        id: 'us-small',
        alias: 'gpt-4o-mini',
        region: 'us-east-1',
        qualityTier: 'economy',
        inputPerMillionUsd: 0.15,
        outputPerMillionUsd: 0.6,
        maxClassification: 'PUBLIC',
        features: [],
      }),
      testProfile(simulatorUrl, {
        id: 'claude',
        alias: 'claude-haiku',
        region: 'us-east-1',
        provider: 'anthropic',
        inputPerMillionUsd: 0.8,
        outputPerMillionUsd: 4,
      }),
      testProfile(simulatorUrl, {
        id: 'eu-embed',
        alias: 'text-embedding-3-small',
        type: 'embeddings',
        region: 'eu-west-1',
        inputPerMillionUsd: 0.02,
        outputPerMillionUsd: 0,
      }),
    ],
    agents: [
      {
        id: 'nw-assistant',
        tenant: 'northwind',
        policy: 'quality',
        preferredModels: ['eu-large'],
        fallbackChain: ['eu-small', 'us-large'],
        maxFallbacks: 2,
        requiredCapabilities: [],
      },
    ],
  };
}

/**
 * An OpenAI `chat.completion` body as a fake upstream answers: one choice with `message`, and
 * the tokens it reports.
 */
export function chatCompletion(
  message: Record<string, unknown>,
  usage: { prompt: number; completion: number },
): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', ...message },
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
    },
  });
}

export function testConfig(
  overrides: Partial<GatewayConfig> = {},
): GatewayConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    gatewayId: 'gw-test',
    adminToken: ADMIN_TOKEN,
    maxBodyBytes: 64 * 1024,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 65_000,
    upstreamTimeoutMs: 5_000,
    upstreamIdleTimeoutMs: 5_000,
    clientStallTimeoutMs: 5_000,
    events: {
      transport: 'off',
      spoolDir: mkdtempSync(join(tmpdir(), 'cellport-spool-')),
      portalTimeoutMs: 10_000,
      flushIntervalMs: 20,
      segmentEvents: 1000,
    },
    cache: { enabled: false, ttlSeconds: 60, maxBytes: 1024 * 1024 },
    drainTimeoutMs: 5_000,
    shutdownDelayMs: 0,
    logLevel: 'silent',
    ...overrides,
  };
}

/** Keeps every published event, for assertions. */
export class RecordingEventSink implements EventSink {
  readonly events: PlatformEvent[] = [];
  publish(events: PlatformEvent[], written: () => void): void {
    // Every event must meet the contract the portal validates against.
    for (const event of events) platformEventSchema.parse(event);
    this.events.push(...events);
    written();
  }
  async close(): Promise<void> {}
  usage() {
    return this.events.filter(event => event.type === 'usage');
  }
  decisions() {
    return this.events.filter(event => event.type === 'routing-decision');
  }
}

/** A started gateway on the test state, recording its events unless told otherwise. */
export async function startGateway(
  simulatorUrl: string,
  options: {
    config?: Partial<GatewayConfig>;
    overrides?: GatewayOverrides;
    state?: GatewayDesiredState;
    /** Deliver events as configured instead of recording them. */
    realEvents?: boolean;
  } = {},
): Promise<{ gateway: Gateway; url: string; events: RecordingEventSink }> {
  const events = new RecordingEventSink();
  const gateway = await createGateway(testConfig(options.config), {
    logger: pino({ level: 'silent' }),
    ...(options.realEvents ? {} : { events }),
    ...options.overrides,
  });
  gateway.deps.state.apply(options.state ?? testState(simulatorUrl));
  const url = await gateway.start();
  return { gateway, url, events };
}

/**
 * A gateway clock (`overrides.now`) that runs at the real rate from the start of a minute of
 * 15 June 2026 (a random one, so runs sharing Redis use their own minute's counters): a test
 * under a minute long sees no minute, day or month begin, whenever it runs.
 */
export function clockFromMinuteStart(): () => number {
  const start =
    Date.UTC(2026, 5, 15) + Math.floor(Math.random() * 1440) * 60_000;
  const offset = start - Date.now();
  return () => Date.now() + offset;
}

/** Waits until `check` holds, polling a bounded number of times. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  attempts = 200,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise(resolve => setTimeout(resolve, 25));
  }
  throw new Error('condition not met in time');
}

/** A batch as the portal stand-in received it: its events' ids and its raw body. */
export interface ReceivedBatch {
  ids: string[];
  raw: string;
}

/**
 * A stand-in for the portal's ingest endpoint that records batches and dedupes by id, as the
 * portal does. It can go down and come back on the same port, answer late, or fail as a test
 * tells it to.
 */
export class EventReceiver {
  readonly received = new Map<string, PlatformEvent>();
  /** How often each event id arrived: redelivery shows as more than one. */
  readonly deliveriesById = new Map<string, number>();
  /** POSTs that reached the endpoint, whatever became of them. */
  posts = 0;
  deliveries = 0;
  rejected = 0;
  /**
   * Answers a batch otherwise than the portal would (a 500, a 413, no answer at all); true
   * when it did, and the batch is neither checked nor stored.
   */
  fault?: (batch: ReceivedBatch, res: ServerResponse) => boolean;
  /** How long after storing a batch it answers: a portal slower than the gateway's wait. */
  answerDelayMs?: () => number;
  private server?: Server;
  port = 0;

  /** Requests of `requestIds` whose RoutingDecision or UsageEvent has not arrived. */
  withoutEvents(requestIds: readonly string[]): string[] {
    return requestIds.filter(
      id => !this.received.has(`${id}-rd`) || !this.received.has(`${id}-us`),
    );
  }

  /** Event ids that arrived more than once. */
  doubled(): string[] {
    return [...this.deliveriesById]
      .filter(([, count]) => count > 1)
      .map(([id]) => id);
  }

  /** Stores events as delivered, as the portal does with a batch it took. */
  store(events: readonly PlatformEvent[]): void {
    for (const event of events) {
      this.deliveries += 1;
      this.received.set(event.id, event);
      this.deliveriesById.set(
        event.id,
        (this.deliveriesById.get(event.id) ?? 0) + 1,
      );
    }
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        if (
          req.url !== '/api/platform/events' ||
          req.headers.authorization !== 'Bearer portal-token'
        ) {
          res.writeHead(401).end();
          return;
        }
        this.posts += 1;
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = undefined;
        }
        const events = (body as { events?: unknown })?.events;
        const ids = Array.isArray(events)
          ? events.map(event => String((event as { id?: unknown })?.id))
          : [];
        if (this.fault?.({ ids, raw }, res)) return;
        // Validate as the portal does: a batch off the contract is refused whole.
        const parsed = eventBatchSchema.safeParse(body);
        if (!parsed.success) {
          this.rejected += 1;
          res.writeHead(400).end();
          return;
        }
        this.store(parsed.data.events);
        const answer = () => {
          if (res.destroyed) return;
          res
            .writeHead(202, { 'content-type': 'application/json' })
            .end('{"accepted":true}');
        };
        const delayMs = this.answerDelayMs?.() ?? 0;
        if (delayMs > 0) setTimeout(answer, delayMs);
        else answer();
      });
    });
    await new Promise<void>(resolve =>
      this.server!.listen(this.port, '127.0.0.1', () => resolve()),
    );
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>(resolve => server.close(() => resolve()));
  }
}
