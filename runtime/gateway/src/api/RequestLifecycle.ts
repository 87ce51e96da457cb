import type { IncomingMessage } from 'node:http';
import type { EndGate, GatewayResponse } from '../http/GatewayResponse';
import type { HeldRequest } from '../http/InFlightRequests';
import { randomUUID } from 'node:crypto';
import {
  Classification,
  classificationAllowed,
  classificationSchema,
} from '@cellport/plugin-platform-common';
import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { Principal } from '../auth/ApiKeyAuthenticator';
import { RequestRecord } from '../events/RequestRecord';
import { GatewayError } from '../http/GatewayError';
import { ErrorShape, OPENAI_ERRORS } from '../http/ErrorShape';
import { apiKeyOf, sendError } from '../http/httpIo';
import type { CompiledState } from '../state/CompiledState';
import type { GenAiOperation } from '../telemetry/genAi';
import type { RequestTrace } from '../telemetry/RequestTrace';
import type { InboundApi } from './EndpointAdapter';
import type { GatewayDeps } from './GatewayDeps';
import { nextTraceparent, parseTraceparent } from './traceparent';
import { wasCutAtRequestTimeout } from '../http/clientError';
import { onConnectionClose } from '../http/connectionClose';

/** W3C asks that at least 512 characters of `tracestate` be passed on; more is not. */
const TRACESTATE_MAX_CHARS = 512;
/** W3C's most list members in a `tracestate`. */
const TRACESTATE_MAX_ENTRIES = 32;

function entries(header: string): number {
  let count = 1;
  for (let at = header.indexOf(','); at >= 0; at = header.indexOf(',', at + 1))
    count += 1;
  return count;
}

/**
 * A `tracestate` of at most TRACESTATE_MAX_CHARS and 32 entries, cut as W3C asks: entries
 * longer than 128 characters go first, then entries from the end; undefined when none is left.
 */
function boundedTracestate(header: string): string | undefined {
  if (
    header.length <= TRACESTATE_MAX_CHARS &&
    entries(header) <= TRACESTATE_MAX_ENTRIES
  ) {
    return header || undefined;
  }
  let kept = '';
  let count = 0;
  for (const raw of header.split(',')) {
    const entry = raw.trim();
    if (entry === '' || entry.length > 128) continue;
    const next = kept ? `${kept},${entry}` : entry;
    if (next.length > TRACESTATE_MAX_CHARS) break;
    kept = next;
    if (++count === TRACESTATE_MAX_ENTRIES) break;
  }
  return kept || undefined;
}

/** The header a caller uses to declare the class of the data in its request. */
export const CLASSIFICATION_HEADER = 'x-cellport-data-classification';

/**
 * One authenticated inference request from start to end: who called, under which state, the
 * record that becomes its events, and a signal that fires when the caller goes away. `end`
 * runs exactly once and publishes the events and metrics.
 */
export class RequestLifecycle implements EndGate {
  readonly requestId = randomUUID();
  readonly startedAt = performance.now();
  readonly record: RequestRecord;
  /** The spans of this request; only when tracing is on and the request is sampled. */
  readonly trace?: RequestTrace;
  /** The profile that answered, once one has. */
  answeredBy?: GatewayModelProfile;
  /**
   * The number the relayed stream's next event takes, for an API whose events are numbered
   * (the Responses API): its closing error event continues the count.
   */
  streamSequence?: () => number;
  /** The request's trace id when someone records its trace: its decision links to it. */
  private readonly traceId?: string;
  /**
   * The caller's `tracestate`, sent upstream with its trace as W3C requires; dropped with an
   * invalid `traceparent`, cut to TRACESTATE_MAX_CHARS.
   */
  readonly tracestate?: string;
  /** The traceparent upstreams get when the gateway records no span. */
  private readonly fixedTraceparent: string = '';
  readonly abort = new AbortController();
  private ended = false;
  private cutByStop = false;
  /** Set once the events are stored: from then on `res.end` goes straight through. */
  private eventsWritten = false;
  /** The pipeline's `res.end` arguments, held until the events are in the spool. */
  private heldEnd?: unknown[];
  /** Its place among the requests a stop may cut short. */
  private readonly inFlightEntry: HeldRequest;
  /** The connection, kept: a response that closed, or is queued, does not name it. */
  private readonly socket: IncomingMessage['socket'];

  private constructor(
    private readonly deps: GatewayDeps,
    socket: IncomingMessage['socket'],
    readonly res: GatewayResponse,
    readonly state: CompiledState,
    readonly principal: Principal,
    incomingTrace: string | string[] | undefined,
    incomingState: string | string[] | undefined,
    private readonly errors: ErrorShape,
    private readonly operation: GenAiOperation,
  ) {
    this.record = new RequestRecord(this.requestId, deps.now(), {
      gateway: deps.config.gatewayId,
      cell: state.cell,
      tenant: principal.tenant.id,
      agent: principal.agent?.id,
      stateVersion: state.version,
    });
    const parent = parseTraceparent(incomingTrace);
    if (parent && typeof incomingState === 'string') {
      this.tracestate = boundedTracestate(incomingState);
    }
    const started = deps.tracing?.startRequest(
      parent,
      operation,
      principal.tenant.telemetry?.captureContent === true,
    );
    if (started === undefined) {
      this.fixedTraceparent = nextTraceparent(parent);
      this.traceId = parent?.sampled ? parent.traceId : undefined;
    } else if ('unsampledTraceparent' in started) {
      this.fixedTraceparent = started.unsampledTraceparent;
    } else {
      this.trace = started;
      this.traceId = started.traceId;
    }
    this.socket = socket;
    const left = () => {
      if (!res.writableFinished) this.abort.abort();
    };
    res.on('close', left);
    // A response queued behind another on a pipelined connection has no connection yet, and
    // hears nothing when the client leaves: the connection's own close tells it.
    if (res.socket === null) {
      res.once('close', onConnectionClose(socket, left));
    }
    // Nothing acknowledged may be lost: the last byte of a response leaves only after its
    // events were written to the spool. The pipeline ends responses before it settles usage,
    // so its `res.end` is held here (`holdEnd`) and let go once the sink has written the
    // events `end()` publishes, in the same turn of the event loop.
    res.endGate = this;
    this.inFlightEntry = deps.inFlight.hold(this);
  }

  /** Authenticates the caller against the state in force; throws 503 or 401. */
  static begin(
    deps: GatewayDeps,
    req: IncomingMessage,
    res: GatewayResponse,
    api: InboundApi = {},
  ): RequestLifecycle {
    const state = deps.state.current;
    if (!state) throw GatewayError.notReady();
    const principal = deps.auth.authenticate(
      state,
      apiKeyOf(req, api.acceptsApiKeyHeader === true),
    );
    return new RequestLifecycle(
      deps,
      req.socket,
      res,
      state,
      principal,
      req.headers.traceparent,
      req.headers.tracestate,
      api.errors ?? OPENAI_ERRORS,
      api.operation ?? 'chat',
    );
  }

  /**
   * The W3C traceparent for an upstream call: with tracing on, the span of the attempt under
   * way is the upstream's parent.
   */
  get traceparent(): string {
    return this.trace
      ? this.trace.upstreamTraceparent()
      : this.fixedTraceparent;
  }

  /** The data class the caller declared, or the tenant's ceiling; above the ceiling is 403. */
  classification(req: IncomingMessage): Classification {
    const tenant = this.principal.tenant;
    const raw = req.headers[CLASSIFICATION_HEADER];
    if (raw === undefined) {
      return tenant.classification;
    }
    const parsed = classificationSchema.safeParse(String(raw).toUpperCase());
    if (!parsed.success) {
      throw GatewayError.invalid(
        `header ${CLASSIFICATION_HEADER} must be one of ${classificationSchema.options.join(
          ', ',
        )}`,
        CLASSIFICATION_HEADER,
      );
    }
    if (!classificationAllowed(parsed.data, tenant.classification)) {
      throw new GatewayError(
        403,
        'classification_not_allowed',
        `tenant ${tenant.id} may not send ${parsed.data} data (ceiling ${tenant.classification})`,
        'forbidden',
        { param: CLASSIFICATION_HEADER },
      );
    }
    return parsed.data;
  }

  /** The caller went away (its connection closed before its answer ended). */
  get cancelled(): boolean {
    return this.abort.signal.aborted && !this.cutByStop;
  }

  /** The gateway's stop cut this request short (`interrupt`): the caller did not leave. */
  get interrupted(): boolean {
    return this.cutByStop;
  }

  /**
   * Cuts the request short for a stop whose drain ran out: its upstream call is abandoned, and
   * the caller gets a 503, or an error event and a clean end of its stream, rather than a
   * dropped connection; its events record the gateway's failure, not the caller's. False
   * when there was nothing left to cut (ended, or its caller gone).
   */
  interrupt(): boolean {
    if (this.ended || this.abort.signal.aborted) return false;
    this.cutByStop = true;
    this.abort.abort();
    return true;
  }

  /** Whether the server cut the connection at its request timeout (GATEWAY_REQUEST_TIMEOUT_MS). */
  private get timedOut(): boolean {
    return wasCutAtRequestTimeout(this.socket);
  }

  /** Answers with an error (unless the caller has gone) and records it. */
  fail(failure: GatewayError): void {
    // An upstream call the stop abandoned reads as cancelled; the stop is what ended it. A
    // request at fault on its own (a 400) is still told so.
    const error =
      this.cutByStop && failure.errorClass === 'client-cancelled'
        ? GatewayError.shuttingDown()
        : failure;
    this.record.fail(error.status, error.errorClass);
    if (!this.cancelled) {
      sendError(
        this.res,
        error,
        { 'x-request-id': this.requestId },
        this.errors,
        this.streamSequence?.(),
      );
    }
  }

  /**
   * Records and publishes the request; its response ends once the sink has written the
   * events. Runs once.
   */
  end(): void {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this.deps.inFlight.release(this.inFlightEntry);
    try {
      this.publish();
    } catch (error) {
      this.releaseEnd();
      throw error;
    }
  }

  holdEnd(args: unknown[]): boolean {
    if (this.eventsWritten) return false;
    this.heldEnd = args;
    return true;
  }

  private releaseEnd(): void {
    if (this.eventsWritten) return;
    this.eventsWritten = true;
    const held = this.heldEnd;
    if (held && !this.res.destroyed) {
      this.res.end(...held);
    }
  }

  /** Telemetry never costs a request its events: a failure to record its spans is logged. */
  private endTrace(record: RequestRecord): void {
    try {
      this.trace?.end(
        record,
        this.answeredBy,
        this.res.headersSent ? this.res.statusCode : record.status,
      );
    } catch (error) {
      this.deps.logger.warn(
        { requestId: this.requestId, reason: String(error) },
        "recording the request's spans failed",
      );
    }
  }

  private publish(): void {
    const record = this.record;
    if (this.cancelled && this.timedOut) {
      // Answered 408 and cut off (`answerClientError`): the caller was too slow, not gone.
      record.fail(408, 'client-cancelled');
    } else if (this.cancelled && record.outcome === 'success') {
      record.fail(499, 'client-cancelled');
    }
    const total = performance.now() - this.startedAt;
    const { metrics } = this.deps;
    const tenant = record.scope.tenant;
    const model = record.chosen ?? 'none';
    metrics.genAi.observe(record, this.answeredBy, total, this.operation);
    this.endTrace(record);
    metrics.requests.inc({
      tenant,
      model,
      outcome: record.outcome,
      status: String(record.status),
    });
    // Only authenticated requests come this far: those the SLI and the events count.
    metrics.countSliRequest(record.outcome);
    metrics.overhead.observe(
      Math.max(0, total - (record.upstreamLatencyMs ?? 0)) / 1000,
    );
    if (record.upstreamLatencyMs !== undefined) {
      metrics.upstreamLatency.observe(
        { model },
        record.upstreamLatencyMs / 1000,
      );
    }
    if (record.timeToFirstTokenMs !== undefined) {
      metrics.timeToFirstToken.observe(
        { model },
        record.timeToFirstTokenMs / 1000,
      );
    }
    // A cache hit's event keeps its answer's token counts; no upstream processed them.
    if (record.inputTokens > 0 && !record.cached) {
      metrics.tokens.inc(
        { tenant, model, direction: 'input' },
        record.inputTokens,
      );
    }
    if (record.outputTokens > 0 && !record.cached) {
      metrics.tokens.inc(
        { tenant, model, direction: 'output' },
        record.outputTokens,
      );
    }
    if (record.costUsd > 0) {
      metrics.cost.inc({ tenant, model }, record.costUsd);
    }
    this.log(total);
    const events = record.toEvents(total);
    if (this.traceId !== undefined) {
      for (const event of events) {
        if (event.type === 'routing-decision') event.traceId = this.traceId;
      }
    }
    this.deps.events.publish(
      events,
      // A closure made here, not a field made with the request: see GatewayResponse.
      () => this.releaseEnd(),
      this.deps.inFlight.api === 1,
    );
  }

  /** One access line at debug level (free when off); failed upstream attempts at warn. */
  private log(totalMs: number): void {
    const record = this.record;
    const { logger } = this.deps;
    if (record.fallbacks.length === 0 && !logger.isLevelEnabled('debug')) {
      return;
    }
    const fields = {
      requestId: this.requestId,
      tenant: record.scope.tenant,
      agent: record.scope.agent,
      model: record.chosen,
      status: record.status,
      outcome: record.outcome,
      ms: Math.round(totalMs * 1000) / 1000,
    };
    if (record.fallbacks.length > 0) {
      logger.warn(
        { ...fields, fallbacks: record.fallbacks },
        'upstream attempts failed',
      );
    } else {
      logger.debug(fields, 'request');
    }
  }
}
