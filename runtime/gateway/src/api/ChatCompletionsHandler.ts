import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import { PromptCache } from '../cache/PromptCache';
import { GatewayError } from '../http/GatewayError';
import { parseJsonObject, readBody, sendRaw } from '../http/httpIo';
import type { Reservation } from '../limits/Limiter';
import type {
  TokenUsage,
  UpstreamResult,
  UpstreamStream,
} from '../providers/types';
import { UpstreamAnswerError } from '../providers/upstreamAnswer';
import type { CompiledProfile } from '../state/CompiledState';
import type { AttemptOutcome } from '../upstream/FallbackExecutor';
import {
  summarizeChatRequest,
  ChatRequestSummary,
} from '../router/chatRequest';
import { costUsd } from '../usage/cost';
import type { GatewayDeps } from './GatewayDeps';
import { RequestLifecycle } from './RequestLifecycle';
import { failureToError } from './failureToError';
import { reserveLimits } from './reserveLimits';
import { routeRequest } from './routeRequest';

/** One chat request on its way upstream, with its reservation until it is settled. */
interface ChatCall {
  life: RequestLifecycle;
  body: Record<string, unknown>;
  summary: ChatRequestSummary;
  cacheKey?: string;
  reservation: Reservation;
  settled: boolean;
}

type Answered = Extract<AttemptOutcome, { ok: true }>;
type UpstreamJson = Extract<UpstreamResult, { kind: 'json' }>;

/** The tenant's budget left as this replica last saw it, or undefined when it has not looked yet. */
function remainingBudget(
  deps: GatewayDeps,
  life: RequestLifecycle,
): number | undefined {
  const tenant = life.principal.tenant;
  const spent = deps.limiter.spentUsdHint(tenant.id, deps.now());
  return spent === undefined ? undefined : tenant.monthlyBudgetUsd - spent;
}

/**
 * `POST /v1/chat/completions`: authenticate, validate, route, reserve budget, call upstream
 * with fallbacks, relay JSON or SSE, settle the actual cost, publish the request's events.
 */
export class ChatCompletionsHandler {
  constructor(private readonly deps: GatewayDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const life = RequestLifecycle.begin(this.deps, req, res);
    try {
      await this.serve(life, req);
    } catch (error) {
      life.fail(error instanceof GatewayError ? error : this.internal(error));
    } finally {
      life.end();
    }
  }

  private internal(error: unknown): GatewayError {
    this.deps.logger.error(
      { err: error },
      'chat completion failed unexpectedly',
    );
    return new GatewayError(
      500,
      'internal_error',
      'internal gateway error',
      'internal',
    );
  }

  private async serve(
    life: RequestLifecycle,
    req: IncomingMessage,
  ): Promise<void> {
    const { deps } = this;
    const record = life.record;
    const raw = await readBody(req, deps.config.maxBodyBytes);
    const body = parseJsonObject(raw);
    if (typeof body.model === 'string' && body.model.length > 0) {
      record.requestedModel = body.model.slice(0, 200);
    }
    const summary = summarizeChatRequest(body, raw);
    record.stream = summary.stream;
    record.complexityScore = summary.complexity;
    record.estimatedInputTokens = summary.estimatedInputTokens;
    record.requiredCapabilities = summary.requiredCapabilities;
    const plan = routeRequest(deps, life, {
      modelType: 'chat',
      requestedModel: summary.model,
      classification: life.classification(req),
      requiredCapabilities: summary.requiredCapabilities,
      estimatedInputTokens: summary.estimatedInputTokens,
      promptTokenBound: summary.promptTokenBound,
      maxOutputTokens: summary.maxTokens,
      choices: summary.choices,
      complexity: summary.complexity,
      remainingBudgetUsd: remainingBudget(deps, life),
    });

    const cacheKey =
      deps.cache && life.principal.tenant.promptCache && !summary.stream
        ? PromptCache.key(life.principal.tenant.id, life.state.version, raw)
        : undefined;
    if (cacheKey && this.answerFromCache(life, cacheKey)) {
      return;
    }

    const call: ChatCall = {
      life,
      body,
      summary,
      cacheKey,
      reservation: await reserveLimits(deps, life, plan),
      settled: false,
    };
    try {
      await this.callUpstream(call, plan.attempts);
    } finally {
      if (!call.settled) {
        this.background(deps.limiter.release(call.reservation));
      }
    }
  }

  /** Tries the attempts in order and answers with the first upstream that takes the request. */
  private async callUpstream(
    call: ChatCall,
    attempts: CompiledProfile[],
  ): Promise<void> {
    const { deps } = this;
    const { life, body, summary } = call;
    const outcome = await deps.executor.run(attempts, profile =>
      deps.adapters[profile.provider].chat({
        profile,
        body,
        summary,
        signal: life.abort.signal,
        traceparent: life.traceparent,
      }),
    );
    life.record.fallbacks = outcome.fallbacks;
    if (!outcome.ok) {
      throw failureToError(outcome.failure);
    }
    life.record.chosen = outcome.profile.id;
    life.record.provider = outcome.profile.provider;
    try {
      if (outcome.answer.kind === 'json') {
        this.answerJson(call, outcome, outcome.answer);
      } else {
        await this.answerStream(call, outcome, outcome.answer);
      }
    } catch (error) {
      outcome.finish('failure');
      throw error;
    }
  }

  private answerJson(
    call: ChatCall,
    outcome: Answered,
    answer: UpstreamJson,
  ): void {
    const { life } = call;
    life.record.upstreamLatencyMs = performance.now() - outcome.dispatchedAt;
    sendRaw(life.res, 200, answer.body, { 'x-request-id': life.requestId });
    outcome.finish('success');
    if (call.cacheKey && answer.usage) {
      this.deps.cache!.set(call.cacheKey, {
        body: answer.body,
        usage: answer.usage,
        modelProfile: outcome.profile.id,
        provider: outcome.profile.provider,
      });
    }
    this.settleUsage(call, outcome.profile, answer.usage, answer.generatedText);
  }

  private async answerStream(
    call: ChatCall,
    outcome: Answered,
    answer: UpstreamStream,
  ): Promise<void> {
    const { life } = call;
    try {
      await this.relay(life, answer, outcome.dispatchedAt);
    } catch (error) {
      // The upstream broke off mid-stream, or went on with something that is not SSE. The
      // caller got part of an answer, then an error event; it pays for what it got, counted
      // by the tokenizer; the upstream counts as failed.
      life.record.upstreamLatencyMs = performance.now() - outcome.dispatchedAt;
      outcome.finish('failure');
      this.settleUsage(call, outcome.profile, undefined, answer.generatedText);
      throw new GatewayError(
        502,
        'upstream_stream_broken',
        error instanceof UpstreamAnswerError
          ? error.message
          : 'the upstream stream ended abruptly',
        'upstream-error',
      );
    }
    life.record.upstreamLatencyMs = performance.now() - outcome.dispatchedAt;
    outcome.finish(life.cancelled ? 'neutral' : 'success');
    this.settleUsage(
      call,
      outcome.profile,
      answer.usage(),
      answer.generatedText,
    );
  }

  /** Writes the SSE stream to the caller, waiting for the socket when it is slower than the upstream. */
  private async relay(
    life: RequestLifecycle,
    stream: UpstreamStream,
    dispatchedAt: number,
  ): Promise<void> {
    const res = life.res;
    // Set one by one (not in writeHead) so that an error after the headers can read the
    // content-type and end the stream with an error event.
    res.setHeader('content-type', 'text/event-stream');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-request-id', life.requestId);
    res.writeHead(200);
    res.flushHeaders();
    let first = true;
    for await (const chunk of stream.chunks) {
      if (life.cancelled) {
        break;
      }
      if (first) {
        first = false;
        life.record.timeToFirstTokenMs = performance.now() - life.startedAt;
        this.deps.health.recordLatency(
          life.record.chosen!,
          performance.now() - dispatchedAt,
        );
      }
      if (!res.write(chunk)) {
        await new Promise<void>(resolve => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    if (!life.cancelled) {
      res.end();
    }
  }

  /** Records tokens and cost, and settles the reservation to the actual cost. */
  private settleUsage(
    call: ChatCall,
    profile: GatewayModelProfile,
    reported: TokenUsage | undefined,
    generated: () => string,
  ): void {
    const record = call.life.record;
    let usage = reported;
    if (!usage) {
      usage = {
        inputTokens: this.deps.tokens.countMessages(call.summary.texts),
        outputTokens: this.deps.tokens.count(generated()),
      };
      record.tokensEstimated = true;
    }
    record.inputTokens = usage.inputTokens;
    record.outputTokens = usage.outputTokens;
    record.costUsd = costUsd(profile, usage.inputTokens, usage.outputTokens);
    call.settled = true;
    this.background(
      this.deps.limiter.settle(call.reservation, {
        tokens: usage.inputTokens + usage.outputTokens,
        costUsd: record.costUsd,
      }),
    );
  }

  private answerFromCache(life: RequestLifecycle, key: string): boolean {
    const cached = this.deps.cache!.get(key);
    if (!cached) {
      return false;
    }
    const record = life.record;
    record.cached = true;
    record.chosen = cached.modelProfile;
    record.provider = cached.provider;
    record.inputTokens = cached.usage.inputTokens;
    record.outputTokens = cached.usage.outputTokens;
    sendRaw(life.res, 200, cached.body, {
      'x-request-id': life.requestId,
      'x-cellport-cache': 'hit',
    });
    return true;
  }

  /** Counter updates after the answer must not fail the request; a failure is logged. */
  private background(promise: Promise<void>): void {
    promise.catch(error =>
      this.deps.logger.warn(
        { err: error },
        'settling the budget reservation failed',
      ),
    );
  }
}
