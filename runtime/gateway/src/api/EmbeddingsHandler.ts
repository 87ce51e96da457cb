import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../http/GatewayError';
import { parseJsonObject, readBody, sendRaw } from '../http/httpIo';
import { costUsd } from '../usage/cost';
import { embeddingsInputTexts } from './embeddingsRequest';
import type { GatewayDeps } from './GatewayDeps';
import { RequestLifecycle } from './RequestLifecycle';
import { failureToError } from './failureToError';
import { promptTokenBound } from '../limits/promptTokenBound';
import { reserveLimits } from './reserveLimits';
import { routeRequest } from './routeRequest';

/** `POST /v1/embeddings`: the same pipeline as chat, without streaming or output tokens. */
export class EmbeddingsHandler {
  constructor(private readonly deps: GatewayDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const life = RequestLifecycle.begin(this.deps, req, res);
    try {
      await this.serve(life, req);
    } catch (error) {
      if (!(error instanceof GatewayError)) {
        this.deps.logger.error(
          { err: error },
          'embeddings request failed unexpectedly',
        );
      }
      life.fail(
        error instanceof GatewayError
          ? error
          : new GatewayError(
              500,
              'internal_error',
              'internal gateway error',
              'internal',
            ),
      );
    } finally {
      life.end();
    }
  }

  private async serve(
    life: RequestLifecycle,
    req: IncomingMessage,
  ): Promise<void> {
    const { deps } = this;
    const record = life.record;
    const raw = await readBody(req, deps.config.maxBodyBytes);
    const body = parseJsonObject(raw);
    if (typeof body.model === 'string') {
      record.requestedModel = body.model.slice(0, 200);
    }
    const texts = embeddingsInputTexts(body);
    const model = body.model as string;
    const chars = texts.reduce((sum, text) => sum + text.length, 0);
    record.estimatedInputTokens = Math.ceil(chars / 4) + texts.length;
    const plan = routeRequest(deps, life, {
      modelType: 'embeddings',
      requestedModel: model,
      classification: life.classification(req),
      requiredCapabilities: [],
      estimatedInputTokens: record.estimatedInputTokens,
      promptTokenBound: promptTokenBound(raw),
      maxOutputTokens: 0,
      complexity: 0,
    });
    const reservation = await reserveLimits(deps, life, plan);
    const outcome = await deps.executor.run(plan.attempts, profile =>
      deps.adapters[profile.provider].embeddings({
        profile,
        body,
        signal: life.abort.signal,
        traceparent: life.traceparent,
      }),
    );
    record.fallbacks = outcome.fallbacks;
    if (!outcome.ok || outcome.answer.kind !== 'json') {
      // An upstream that streams embeddings is broken; the breaker must hear of it.
      if (outcome.ok) outcome.finish('failure');
      deps.limiter.release(reservation).catch(() => undefined);
      throw failureToError(
        outcome.ok
          ? {
              errorClass: 'upstream-error',
              retriable: false,
              message: 'upstream streamed an embeddings answer',
            }
          : outcome.failure,
      );
    }
    record.chosen = outcome.profile.id;
    record.provider = outcome.profile.provider;
    record.upstreamLatencyMs = performance.now() - outcome.dispatchedAt;
    sendRaw(life.res, 200, outcome.answer.body, {
      'x-request-id': life.requestId,
    });
    outcome.finish('success');
    const usage = outcome.answer.usage;
    record.inputTokens =
      usage?.inputTokens ?? deps.tokens.count(texts.join('\n'));
    record.tokensEstimated = !usage;
    record.costUsd = costUsd(outcome.profile, record.inputTokens, 0);
    deps.limiter
      .settle(reservation, {
        tokens: record.inputTokens,
        costUsd: record.costUsd,
      })
      .catch(error =>
        deps.logger.warn(
          { err: error },
          'settling the budget reservation failed',
        ),
      );
  }
}
