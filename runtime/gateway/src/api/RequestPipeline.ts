import type { IncomingMessage } from 'node:http';
import type { GatewayResponse } from '../http/GatewayResponse';
import {
  GatewayModelProfile,
  storableText,
} from '@cellport/plugin-platform-common';
import { PromptCache } from '../cache/PromptCache';
import { ErrorShape, OPENAI_ERRORS } from '../http/ErrorShape';
import { GatewayError } from '../http/GatewayError';
import { apiKeyOf, parseJsonObject, readBody, sendRaw } from '../http/httpIo';
import type {
  GeneratedOutput,
  TokenUsage,
  UpstreamResult,
  UpstreamStream,
} from '../providers/types';
import { UpstreamAnswerError } from '../providers/upstreamAnswer';
import type { RequestTrace } from '../telemetry/RequestTrace';
import type { AttemptOutcome, SkipReason } from '../upstream/FallbackExecutor';
import { promptTokensAt, RoutePlan } from '@cellport/router';
import { RouteRefusal } from '../router/routeRefusal';
import { costUsd, maxOutputTokens } from '../usage/cost';
import { chargedUsage } from './chargedUsage';
import { answerFromCache } from './answerFromCache';
import type { EndpointAdapter } from './EndpointAdapter';
import { Exchange } from './Exchange';
import type { GatewayDeps } from './GatewayDeps';
import { RequestLifecycle } from './RequestLifecycle';
import { failureToError } from './failureToError';
import { relaySse } from './relaySse';
import type { BudgetLeft } from '../limits/Limiter';
import { claimLimits, limitRefusal } from './reserveLimits';
import { parseTraceparent } from './traceparent';
import { RemainingBudget, routeRequest } from './routeRequest';

/**
 * How long a budget hint read at the counters may refuse a request on its own: a tenant whose
 * budget is spent is refused locally, going to the counters at most once a period per
 * replica, and a hint made stale by other replicas' refunds refuses wrongly at most this long.
 */
const TRUSTED_HINT_MS = 1_000;

type Answered = Extract<AttemptOutcome, { ok: true }>;
type UpstreamJson = Extract<UpstreamResult, { kind: 'json' }>;
/** An answer the gateway charges for without having read it. */
const NOTHING_GENERATED: GeneratedOutput = { generatedText: () => '' };

/**
 * One inference request, whatever its endpoint: authenticate, read and check the body (the
 * endpoint's adapter), route, answer from the cache or reserve limits and budget, call the
 * upstreams with fallbacks, relay the JSON or SSE answer, settle the actual cost, publish the
 * request's events. Only the payload handling differs between endpoints (`EndpointAdapter`).
 */
export class RequestPipeline<Request> {
  // Bound once, not per request: the executor is handed these and the request's exchange.
  private readonly sendAttempt = (
    profile: GatewayModelProfile,
    exchange: Exchange<Request>,
  ): Promise<UpstreamResult> => {
    const unconfigured = this.deps.credentials.refusal(profile);
    if (unconfigured) return Promise.resolve(unconfigured);
    return exchange.life.trace
      ? this.sendTraced(profile, exchange, exchange.life.trace)
      : this.endpoint.send(profile, exchange);
  };
  private readonly skippedAttempt = (
    profile: GatewayModelProfile,
    reason: SkipReason,
    exchange: Exchange<Request>,
  ) => exchange.life.trace?.attemptSkipped(profile, reason);
  /** Counter updates after the answer must not fail the request; a failure is logged. */
  private readonly logSettleFailure = (error: unknown) =>
    this.deps.logger.warn(
      { err: error },
      'settling the budget reservation failed',
    );

  constructor(
    private readonly deps: GatewayDeps,
    private readonly endpoint: EndpointAdapter<Request>,
  ) {}

  async handle(req: IncomingMessage, res: GatewayResponse): Promise<void> {
    const startedAt = performance.now();
    let life: RequestLifecycle;
    try {
      life = RequestLifecycle.begin(this.deps, req, res, this.endpoint);
    } catch (error) {
      if (error instanceof GatewayError) this.refused(req, error, startedAt);
      throw error;
    }
    try {
      await this.serve(life, req);
    } catch (error) {
      life.fail(error instanceof GatewayError ? error : this.internal(error));
    } finally {
      life.end();
    }
  }

  /**
   * A request refused before it was authenticated has no lifecycle and no events; its trace
   * and the GenAI duration metric still show it (the server answers it).
   */
  private refused(
    req: IncomingMessage,
    error: GatewayError,
    startedAt: number,
  ): void {
    const operation = this.endpoint.operation ?? 'chat';
    this.deps.metrics.genAi.observeRefusal(
      operation,
      error.errorClass,
      performance.now() - startedAt,
    );
    this.deps.tracing?.recordRefusal(
      parseTraceparent(req.headers.traceparent),
      operation,
      error,
    );
  }

  /** How the endpoint's API writes errors, for refusals before its lifecycle begins. */
  get errors(): ErrorShape {
    return this.endpoint.errors ?? OPENAI_ERRORS;
  }

  private internal(error: unknown): GatewayError {
    this.deps.logger.error({ err: error }, this.endpoint.failureLog);
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
    const { deps, endpoint } = this;
    const record = life.record;
    const raw = await readBody(req, deps.config.maxBodyBytes, life.res.memory);
    const current = deps.state.current;
    if (current && current !== life.state) {
      // A key that a state pushed while the body came removed (a leaked one, revoked) stops
      // here, before the request is routed; the request keeps its own state otherwise.
      deps.auth.authenticate(
        current,
        apiKeyOf(req, endpoint.acceptsApiKeyHeader === true),
      );
    }
    const body = parseJsonObject(raw);
    if (typeof body.model === 'string' && body.model.length > 0) {
      // Recorded before it is checked: the refusal's events must still be storable.
      record.requestedModel = storableText(body.model.slice(0, 200));
    }
    const request = endpoint.parse(body, raw, record);
    life.trace?.input(() => endpoint.chatBody?.(request) ?? body);
    const cacheKey =
      deps.cache &&
      life.principal.tenant.promptCache &&
      endpoint.cacheable(request)
        ? PromptCache.key(
            life.principal.tenant.id,
            life.state.version,
            endpoint.api,
            raw,
          )
        : undefined;
    let plan: RoutePlan;
    try {
      plan = routeRequest(
        deps,
        life,
        endpoint.routing(request),
        life.classification(req),
        endpoint.routesWithinRemainingBudget
          ? this.remainingBudget(life)
          : undefined,
      );
    } catch (error) {
      // A route refused only for open circuits or the budget can still be answered from the
      // cache: a hit calls no upstream and costs nothing.
      if (
        cacheKey &&
        error instanceof RouteRefusal &&
        answerFromCache(deps.cache!, life, cacheKey, endpoint, error.candidates)
      ) {
        return;
      }
      throw error;
    }
    if (
      cacheKey &&
      answerFromCache(deps.cache!, life, cacheKey, endpoint, plan.candidates)
    ) {
      return;
    }

    let verdict = await claimLimits(deps, life, plan);
    while (!verdict.ok) {
      // A budget that cannot cover the plan's costliest attempt (a dear fallback) but still
      // covers some has the request routed again to those: a fallback it cannot pay for must
      // not cost the request the route it can. Each turn claims less: the loop ends.
      const cheaper =
        verdict.budgetLeft && endpoint.routesWithinRemainingBudget
          ? this.routeWithin(life, req, request, verdict.budgetLeft)
          : undefined;
      if (!cheaper || cheaper.maxCostUsd >= plan.maxCostUsd) {
        throw limitRefusal(verdict);
      }
      plan = cheaper;
      verdict = await claimLimits(deps, life, plan);
    }
    const exchange = new Exchange(
      endpoint,
      life,
      body,
      request,
      cacheKey,
      verdict.reservation,
    );
    try {
      await this.callUpstream(exchange, plan.attempts);
    } finally {
      if (!exchange.settled) {
        deps.limiter.release(exchange.reservation).catch(this.logSettleFailure);
      }
    }
  }

  /**
   * The tenant's budget left as this replica last saw it, so that the router picks a profile
   * the budget covers; undefined when it has not looked yet. It is a hint: another replica's
   * reservations it counted may since have been refunded. Trusted to refuse on its own only
   * while fresh (TRUSTED_HINT_MS); older, a request it alone leaves no route for is routed
   * without it, and the shared counters decide, and refresh it.
   */
  private remainingBudget(life: RequestLifecycle): RemainingBudget | undefined {
    const tenant = life.principal.tenant;
    const now = this.deps.now();
    const spent = this.deps.limiter.spentUsdHint(tenant.id, now);
    if (spent === undefined) return undefined;
    const age = this.deps.limiter.spentHintAgeMs(tenant.id, now) ?? Infinity;
    return {
      usd: tenant.monthlyBudgetUsd - spent,
      refusesAlone: age < TRUSTED_HINT_MS,
      heldInFlight: this.deps.limiter.holdsReservations(tenant.id, now),
    };
  }

  /**
   * The request routed again within what a budget that refused its reservation had left (the
   * tenant's, or its agent's, which the router's hint does not know): the profiles that budget
   * covers, its decision recording the others dropped for it; undefined when it covers none,
   * and the router's refusal when those it covers are refused otherwise (circuits open).
   */
  private routeWithin(
    life: RequestLifecycle,
    req: IncomingMessage,
    request: Request,
    left: BudgetLeft,
  ): RoutePlan | undefined {
    try {
      return routeRequest(
        this.deps,
        life,
        this.endpoint.routing(request),
        life.classification(req),
        { usd: left.usd, refusesAlone: true, heldInFlight: left.heldInFlight },
      );
    } catch (error) {
      // No route the budget covers: the budget's refusal answers. A route it covers that is
      // refused for something else (its circuit open) answers with that instead: waiting a
      // month would not help.
      if (
        error instanceof RouteRefusal &&
        error.errorClass === 'budget-exhausted'
      ) {
        return undefined;
      }
      throw error;
    }
  }

  /** One attempt inside a span of its own, the parent of the upstream's spans. */
  private async sendTraced(
    profile: GatewayModelProfile,
    exchange: Exchange<Request>,
    trace: RequestTrace,
  ): Promise<UpstreamResult> {
    trace.attemptStarted(profile);
    let result: UpstreamResult;
    try {
      result = await this.endpoint.send(profile, exchange);
    } catch (error) {
      trace.attemptThrew();
      throw error;
    }
    trace.attemptEnded(result);
    return result;
  }

  /** Tries the attempts in order and answers with the first upstream that takes the request. */
  private async callUpstream(
    exchange: Exchange<Request>,
    attempts: GatewayModelProfile[],
  ): Promise<void> {
    const { life } = exchange;
    const outcome = await this.deps.executor.run(
      attempts,
      this.sendAttempt,
      exchange,
      this.skippedAttempt,
    );
    life.record.fallbacks = outcome.fallbacks;
    if (!outcome.ok) {
      // The upstream whose answer ended the request: telemetry names its provider and model.
      life.answeredBy = outcome.profile;
      if (outcome.profile && outcome.failure.billed) {
        this.chargeUnrelayed(exchange, outcome.profile, true);
      } else if (
        outcome.profile &&
        outcome.failure.errorClass === 'client-cancelled' &&
        !outcome.failure.unsent
      ) {
        // The upstream had the request when its caller left: a JSON answer is generated and
        // billed all the same, as much as it was reserved; a stream that had not begun, its
        // prompt (the upstream stops with the connection). One the gateway's stop abandoned
        // pays its prompt only: its caller is told to retry, and would pay the answer twice.
        this.chargeUnrelayed(
          exchange,
          outcome.profile,
          !life.record.stream && !life.interrupted,
        );
      }
      throw failureToError(outcome.failure);
    }
    const streamRefused = this.endpoint.streamedAnswerFailure;
    if (streamRefused && outcome.answer.kind === 'stream') {
      // An upstream that streams what it should not is broken; the breaker must hear of it.
      outcome.finish('failure');
      throw failureToError(streamRefused);
    }
    life.record.chosen = outcome.profile.id;
    life.record.provider = outcome.profile.provider;
    life.answeredBy = outcome.profile;
    try {
      if (outcome.answer.kind === 'json') {
        this.answerJson(exchange, outcome, outcome.answer);
      } else {
        await this.answerStream(exchange, outcome, outcome.answer);
      }
    } catch (error) {
      outcome.finish('failure');
      throw error;
    }
  }

  private answerJson(
    exchange: Exchange<Request>,
    outcome: Answered,
    answer: UpstreamJson,
  ): void {
    const { life } = exchange;
    life.record.upstreamLatencyMs = performance.now() - outcome.dispatchedAt;
    sendRaw(life.res, 200, answer.body, { 'x-request-id': life.requestId });
    outcome.finish('success');
    if (exchange.cacheKey && answer.usage) {
      this.deps.cache!.set(exchange.cacheKey, {
        body: answer.body,
        usage: answer.usage,
        modelProfile: outcome.profile.id,
        provider: outcome.profile.provider,
      });
    }
    this.settle(exchange, outcome.profile, answer.usage, answer);
  }

  private async answerStream(
    exchange: Exchange<Request>,
    outcome: Answered,
    answer: UpstreamStream,
  ): Promise<void> {
    const { life } = exchange;
    try {
      await relaySse(
        this.deps.health,
        life,
        answer,
        outcome.dispatchedAt,
        this.deps.config.clientStallTimeoutMs,
      );
    } catch (error) {
      // The upstream broke off mid-stream, or went on with something that is not SSE. The
      // caller got part of an answer, then an error event; it pays its prompt and what it
      // got (`chargedUsage`); the upstream counts as failed.
      life.record.upstreamLatencyMs = performance.now() - outcome.dispatchedAt;
      // A stream the gateway's stop cut short says nothing of its upstream.
      outcome.finish(life.interrupted ? 'neutral' : 'failure');
      this.settle(
        exchange,
        outcome.profile,
        undefined,
        answer,
        answer.promptTokens?.(),
      );
      if (life.interrupted) throw GatewayError.shuttingDown();
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
    // A stream that did not finish (its caller left) pays the prompt its upstream counted
    // before answering when it did (Anthropic's), as the answer a translation writes shows.
    this.settle(
      exchange,
      outcome.profile,
      answer.usage(),
      answer,
      answer.promptTokens?.(),
    );
  }

  /**
   * An answer the upstream made but the gateway could not relay: the request pays what it
   * reserved at that profile (its prompt's bound and, with `output`, every output token of
   * every choice), the most it could have cost, as no usage was read.
   */
  private chargeUnrelayed(
    exchange: Exchange<Request>,
    profile: GatewayModelProfile,
    output: boolean,
  ): void {
    const routing = this.endpoint.routing(exchange.request);
    const record = exchange.life.record;
    record.chosen = profile.id;
    record.provider = profile.provider;
    this.settle(
      exchange,
      profile,
      {
        inputTokens: promptTokensAt(
          profile,
          routing.promptTokenBound ?? routing.estimatedInputTokens,
          routing.promptImages,
          routing.requiredCapabilities.includes('tools'),
        ),
        outputTokens: output
          ? (routing.choices ?? 1) *
            maxOutputTokens(profile, routing.maxOutputTokens)
          : 0,
      },
      NOTHING_GENERATED,
    );
    record.tokensEstimated = true;
  }

  /** Records tokens and cost, and settles the reservation to the actual cost. */
  private settle(
    exchange: Exchange<Request>,
    profile: GatewayModelProfile,
    reported: TokenUsage | undefined,
    generated: GeneratedOutput,
    promptCounted?: number,
  ): void {
    const record = exchange.life.record;
    const { usage, counted } = chargedUsage(
      this.endpoint,
      exchange,
      profile,
      reported,
      () => generated.generatedText(),
      promptCounted,
    );
    if (!reported) record.tokensEstimated = true;
    if (usage !== counted) {
      this.deps.logger.warn(
        {
          requestId: exchange.life.requestId,
          modelProfile: profile.id,
          reported: [counted.inputTokens, counted.outputTokens],
          charged: [usage.inputTokens, usage.outputTokens],
        },
        reported
          ? "upstream reported more tokens than the request could use; charged the request's bound"
          : "the tokenizer counted more tokens than the request could use; charged the request's bound",
      );
    }
    record.inputTokens = usage.inputTokens;
    record.outputTokens = usage.outputTokens;
    record.costUsd = costUsd(profile, usage.inputTokens, usage.outputTokens);
    exchange.settled = true;
    // Settled before anything else can throw: a reservation is never left open.
    this.deps.limiter
      .settle(exchange.reservation, {
        tokens: usage.inputTokens + usage.outputTokens,
        costUsd: record.costUsd,
      })
      .catch(this.logSettleFailure);
    // A request charged without an answer relayed has no completion to record.
    if (generated !== NOTHING_GENERATED) exchange.life.trace?.output(generated);
  }
}
