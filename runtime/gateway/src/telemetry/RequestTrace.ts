import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import type { RequestRecord } from '../events/RequestRecord';
import type { GeneratedOutput, UpstreamResult } from '../providers/types';
import { answerFacts, AnswerFacts, chunkFacts } from './answerFacts';
import { GEN_AI, GenAiOperation, genAiProviderName } from './genAi';
import { genAiInputMessages, genAiOutputMessages } from './genAiMessages';
import { newSpanId } from './otlp/ids';
import {
  Attributes,
  EndedSpans,
  RecordedSpan,
  SPAN_KIND,
} from './otlp/RecordedSpan';

/**
 * The spans of one sampled request: the request's own span (the caller's view, with the
 * GenAI attributes), a child for routing, and a child per upstream attempt, so a fallback
 * shows as a failed attempt followed by the one that answered. Prompt and completion text
 * are recorded only when the tenant's policy opts in (`captureContent`).
 */
export class RequestTrace {
  private routing?: RecordedSpan;
  private attempt?: RecordedSpan;
  private readonly facts: AnswerFacts = {};

  constructor(
    private readonly sink: EndedSpans,
    private readonly root: RecordedSpan,
    private readonly operation: GenAiOperation,
    readonly captureContent: boolean,
  ) {}

  get traceId(): string {
    return this.root.traceId;
  }

  /** The traceparent for the upstream: the attempt under way is the upstream's parent. */
  upstreamTraceparent(): string {
    const span = this.attempt ?? this.root;
    return `00-${span.traceId}-${span.spanId}-01`;
  }

  routingStarted(): void {
    this.routing = this.child('route', SPAN_KIND.internal);
  }

  /** Ends the routing span with what the router chose, or why it refused. */
  routingEnded(record: RequestRecord, refusal?: unknown): void {
    const span = this.routing;
    if (!span) return;
    this.routing = undefined;
    span.setAttributes({
      'cellport.routing.policy': record.policy,
      'cellport.routing.candidates': record.candidates.length,
      'cellport.routing.kept': record.candidates.filter(c => c.kept).length,
    });
    if (refusal !== undefined) {
      const errorClass =
        (refusal as { errorClass?: string }).errorClass ?? 'route-refused';
      span.setAttribute(ATTR_ERROR_TYPE, errorClass);
      span.setError();
    }
    span.end();
  }

  /** Opens the span of one upstream call, named `{operation} {upstream model}`. */
  attemptStarted(profile: GatewayModelProfile): void {
    this.endAttempt();
    const provider = genAiProviderName(profile.provider);
    const attributes: Attributes = {
      [GEN_AI.operationName]: this.operation,
      [GEN_AI.providerName]: provider,
      [GEN_AI.system]: provider,
      [GEN_AI.requestModel]: profile.upstreamModel,
      'cellport.model_profile': profile.id,
    };
    const server = serverOf(profile);
    if (server) {
      attributes[ATTR_SERVER_ADDRESS] = server.address;
      attributes[ATTR_SERVER_PORT] = server.port;
    }
    this.attempt = this.child(
      `${this.operation} ${profile.upstreamModel}`,
      SPAN_KIND.client,
      attributes,
    );
  }

  /**
   * A failed attempt ends here, marked as an error; one that answered stays open until the
   * answer has been relayed, and ends with the request.
   */
  attemptEnded(result: UpstreamResult): void {
    const span = this.attempt;
    if (!span) return;
    if (result.kind === 'failure') {
      const { failure } = result;
      span.setAttribute(ATTR_ERROR_TYPE, failure.errorClass);
      if (failure.status !== undefined) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, failure.status);
      }
      // The message may quote the upstream's answer (an echo of the prompt in a 400, a line of
      // a broken stream): content, kept out unless the tenant opts in. Type and status stay.
      span.setError(this.captureContent ? failure.message : undefined);
      this.endAttempt();
    } else if (result.kind === 'json') {
      Object.assign(this.facts, answerFacts(result.body, result.answer));
    }
  }

  /**
   * An attempt passed over without a call (its circuit open, or the retry budget spent): a
   * span of no length, so the trace shows every route the request had and why it moved on.
   */
  attemptSkipped(profile: GatewayModelProfile, reason: string): void {
    this.attemptStarted(profile);
    this.attempt?.setAttribute(ATTR_ERROR_TYPE, reason);
    this.attempt?.setAttribute('cellport.attempt.skipped', true);
    this.attempt?.setError(reason);
    this.endAttempt();
  }

  /** An attempt whose adapter threw: no verdict on the upstream, but the span must end. */
  attemptThrew(): void {
    this.attempt?.setAttribute(ATTR_ERROR_TYPE, 'internal');
    this.attempt?.setError();
    this.endAttempt();
  }

  /** Reads the response model, id and finish reasons from a streamed chunk. */
  chunkRelayed(chunk: string): void {
    chunkFacts(chunk, this.facts);
  }

  /**
   * The prompt, on the request span, once the request has parsed: only when the tenant opted
   * in. Recorded before routing, so a request refused or failed upstream shows what it asked.
   * `chatBody` is read only then.
   */
  input(chatBody: () => Record<string, unknown>): void {
    if (!this.captureContent) return;
    const input = genAiInputMessages(chatBody());
    if (input !== undefined) {
      this.root.setAttribute(GEN_AI.inputMessages, JSON.stringify(input));
    }
  }

  /** The completion, on the request span: only when the tenant opted in. */
  output(generated: GeneratedOutput): void {
    if (!this.captureContent) return;
    const choices = generated.generatedChoices?.();
    this.root.setAttribute(
      GEN_AI.outputMessages,
      JSON.stringify(
        choices
          ? genAiOutputMessages(choices)
          : [
              {
                role: 'assistant',
                parts: [{ type: 'text', content: generated.generatedText() }],
                finish_reason: 'stop',
              },
            ],
      ),
    );
  }

  /** Writes what the request came to on its span and ends every span still open. */
  /**
   * `sentStatus`: the status line the caller got, when it differs from the record's (a stream
   * that broke after its 200 is recorded as a 502 failure; the caller read a 200 and then an
   * error event).
   */
  end(
    record: RequestRecord,
    profile: GatewayModelProfile | undefined,
    sentStatus = record.status,
  ): void {
    const root = this.root;
    const facts = this.facts;
    const attributes: Attributes = {
      [GEN_AI.requestModel]: record.requestedModel,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: sentStatus,
      'cellport.request_id': record.requestId,
      'cellport.tenant': record.scope.tenant,
      'cellport.outcome': record.outcome,
      'cellport.fallbacks': record.fallbacks.length,
    };
    if (record.scope.agent !== undefined) {
      attributes['cellport.agent'] = record.scope.agent;
    }
    if (profile) {
      const provider = genAiProviderName(profile.provider);
      attributes[GEN_AI.providerName] = provider;
      attributes[GEN_AI.system] = provider;
      attributes['cellport.model_profile'] = profile.id;
      attributes[GEN_AI.responseModel] =
        facts.responseModel ?? profile.upstreamModel;
      attributes[GEN_AI.inputTokens] = record.inputTokens;
      attributes[GEN_AI.outputTokens] = record.outputTokens;
    }
    if (record.cached) {
      // Answered from the prompt cache: no upstream was called, so no attempt span says
      // which profile's answer it was.
      attributes['cellport.cache_hit'] = true;
      if (record.chosen) attributes['cellport.model_profile'] = record.chosen;
    }
    if (facts.responseId) attributes[GEN_AI.responseId] = facts.responseId;
    if (facts.finishReasons?.length) {
      attributes[GEN_AI.finishReasons] = facts.finishReasons;
    }
    if (record.timeToFirstTokenMs !== undefined) {
      attributes[GEN_AI.timeToFirstChunk] = record.timeToFirstTokenMs / 1000;
    }
    if (record.errorClass !== undefined) {
      attributes[ATTR_ERROR_TYPE] = record.errorClass;
    }
    root.setAttributes(attributes);
    // `{operation} {gen_ai.request.model}` as the conventions name it: what the caller asked
    // for; its attempts are named by the upstream model each called.
    root.name = `${this.operation} ${record.requestedModel}`;
    if (profile && this.attempt) {
      // The attempt still open is the one that answered: the GenAI client call whose usage
      // the request charged.
      this.attempt.setAttributes({
        [GEN_AI.responseModel]: attributes[GEN_AI.responseModel],
        [GEN_AI.inputTokens]: record.inputTokens,
        [GEN_AI.outputTokens]: record.outputTokens,
      });
    }
    if (record.outcome === 'error') {
      root.setError();
      // The answer broke off after the upstream took the request: its attempt failed too.
      this.attempt?.setAttribute(ATTR_ERROR_TYPE, record.errorClass ?? 'error');
      this.attempt?.setError();
    }
    this.routing?.end();
    this.endAttempt();
    root.end();
  }

  private endAttempt(): void {
    this.attempt?.end();
    this.attempt = undefined;
  }

  /** A span under the request's own. */
  private child(name: string, kind: number, attributes?: Attributes) {
    const { traceId, spanId, anchorMs } = this.root;
    return new RecordedSpan(
      this.sink,
      anchorMs,
      traceId,
      newSpanId(),
      { spanId, remote: false },
      name,
      kind,
      attributes,
    );
  }
}

type Server = { address: string; port: number } | undefined;

/** Parsed once per profile of a state, not per attempt. */
const servers = new WeakMap<GatewayModelProfile, Server>();

/** The upstream's host and port, from the profile's endpoint URL. */
function serverOf(profile: GatewayModelProfile): Server {
  if (servers.has(profile)) {
    return servers.get(profile);
  }
  let server: Server;
  try {
    const url = new URL(profile.endpoint);
    const defaultPort = url.protocol === 'https:' ? 443 : 80;
    const port = url.port ? Number(url.port) : defaultPort;
    server = { address: url.hostname, port };
  } catch {
    server = undefined;
  }
  servers.set(profile, server);
  return server;
}
