import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, sleep } from '../http/httpIo';
import type { FaultInjector } from '../faults/FaultInjector';
import type { ModelBehaviour } from '../config/SimulatorConfig';
import type { ModelCatalog } from './ModelCatalog';
import type { SimulatorStats } from './SimulatorStats';

/** What every inference handler shares. */
export interface SimulatorDeps {
  seed: number;
  catalog: ModelCatalog;
  faults: FaultInjector;
  stats: SimulatorStats;
}

/** How a request goes on: with extra latency, and maybe cut off halfway. */
export interface Going {
  extraLatencyMs: number;
  cut: boolean;
}

/**
 * Applies the fault verdict for a request. Returns how the request goes on, or throws/ends the
 * response when a fault answers instead.
 */
export function applyFaults(
  deps: SimulatorDeps,
  behaviour: ModelBehaviour,
  res: ServerResponse,
): Going | 'answered' {
  const verdict = deps.faults.decide(behaviour.id, behaviour.errorRate);
  switch (verdict.kind) {
    case 'none':
      if (verdict.cut) deps.stats.requestFaulted();
      return { extraLatencyMs: verdict.extraLatencyMs, cut: verdict.cut };
    case 'reset':
      deps.stats.requestFaulted();
      res.socket?.destroy();
      return 'answered';
    case 'outage':
      deps.stats.requestFaulted();
      throw new HttpError(
        503,
        `model ${behaviour.id} is unavailable (simulated outage)`,
        'api_error',
      );
    case 'error':
      deps.stats.requestFaulted();
      throw new HttpError(
        500,
        `model ${behaviour.id} failed (simulated error)`,
        'api_error',
      );
    default:
      deps.stats.requestFaulted();
      throw Object.assign(
        new HttpError(
          429,
          `rate limit reached for ${behaviour.id} (simulated)`,
          'rate_limit_error',
        ),
        { retryAfterSeconds: verdict.retryAfterSeconds },
      );
  }
}

/** An AbortSignal that fires when the client goes away before the response is finished. */
export function clientGoneSignal(
  req: IncomingMessage,
  res: ServerResponse,
): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) {
      controller.abort();
    }
  });
  req.on('aborted', () => controller.abort());
  return controller.signal;
}

/** Milliseconds between tokens at the model's speed; 0 when unthrottled. */
export function tokenIntervalMs(behaviour: ModelBehaviour): number {
  return behaviour.tokensPerSecond > 0 ? 1000 / behaviour.tokensPerSecond : 0;
}

/** Drops the connection mid-answer, as a crashing upstream does. */
function cutOff(res: ServerResponse): never {
  res.destroy();
  throw new Error('aborted');
}

/**
 * Waits as long as a non-streamed answer of `tokenCount` tokens takes; a cut answer drops the
 * connection instead of answering.
 */
export async function waitForCompletion(
  behaviour: ModelBehaviour,
  going: Going,
  tokenCount: number,
  signal: AbortSignal,
  res: ServerResponse,
): Promise<void> {
  await sleep(
    behaviour.ttftMs +
      going.extraLatencyMs +
      tokenIntervalMs(behaviour) * tokenCount,
    signal,
  );
  if (going.cut) {
    cutOff(res);
  }
}

/**
 * Emits tokens at the model's pace: the first after TTFT, the rest spaced by its speed. Tokens
 * that fall due in the same timer tick are emitted together, as a real server batches them.
 * A cut stream stops after half its tokens and drops the connection without a proper end.
 */
export async function paceTokens<Token>(
  behaviour: ModelBehaviour,
  going: Going,
  tokens: Token[],
  signal: AbortSignal,
  emit: (token: Token) => void,
  res: ServerResponse,
): Promise<void> {
  await sleep(behaviour.ttftMs + going.extraLatencyMs, signal);
  const stopAt = going.cut ? Math.floor(tokens.length / 2) : tokens.length;
  const interval = tokenIntervalMs(behaviour);
  const started = Date.now();
  let emitted = 0;
  while (emitted < stopAt) {
    if (signal.aborted) {
      throw new Error('aborted');
    }
    const due =
      interval === 0
        ? stopAt
        : Math.min(stopAt, Math.floor((Date.now() - started) / interval) + 1);
    while (emitted < due) {
      emit(tokens[emitted++]);
    }
    if (emitted < stopAt) {
      await sleep(interval, signal);
    }
  }
  if (going.cut) {
    // Let the emitted tokens reach the socket before it is torn down.
    await new Promise(resolve => setImmediate(resolve));
    cutOff(res);
  }
}
