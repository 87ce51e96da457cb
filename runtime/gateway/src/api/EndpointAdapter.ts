import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { RequestRecord } from '../events/RequestRecord';
import type { ErrorShape } from '../http/ErrorShape';
import type {
  TokenUsage,
  UpstreamFailure,
  UpstreamResult,
} from '../providers/types';
import type { RouteInput } from '../router/ModelRouter';
import type { GenAiOperation } from '../telemetry/genAi';
import type { Exchange } from './Exchange';

/**
 * What an endpoint's body tells the router. The pipeline adds what is the same for every
 * endpoint: the state, the caller, the data classification and the remaining budget.
 */
export type RoutingSummary = Omit<
  RouteInput,
  'state' | 'principal' | 'classification' | 'remainingBudgetUsd'
>;

/** What differs between the APIs the gateway speaks before a body is read. */
export interface InboundApi {
  /** How the API writes its errors; OpenAI's when unset. */
  readonly errors?: ErrorShape;
  /** Whether the caller's key may also come in `x-api-key` (Anthropic's API convention). */
  readonly acceptsApiKeyHeader?: boolean;
  /** `gen_ai.operation.name` of its requests in traces and metrics; `chat` when unset. */
  readonly operation?: GenAiOperation;
}

/**
 * The payload handling of one API endpoint (`/v1/chat/completions`, `/v1/embeddings`): all
 * that `RequestPipeline` leaves to it. Everything else (auth, limits, routing, attempts,
 * relaying the answer, settling, events) is the pipeline's, the same for every endpoint.
 * `Request` is what the endpoint reads from a body, handed back to it at each later step.
 */
export interface EndpointAdapter<Request> extends InboundApi {
  /**
   * The API's name (`chat`, `messages`, ...): cached answers are kept apart by it, since the
   * same bytes sent to two APIs ask for answers of two shapes.
   */
  readonly api: string;
  /** Logged, with the error, when a request fails on something other than a GatewayError. */
  readonly failureLog: string;
  /**
   * Whether the router drops profiles that would cost more than the tenant's remaining
   * budget as this replica last saw it (otherwise only the reservation refuses).
   */
  readonly routesWithinRemainingBudget: boolean;
  /**
   * Set for an endpoint whose answers never stream: an upstream that streams all the same
   * fails with this (502, and the breaker hears of it).
   */
  readonly streamedAnswerFailure?: UpstreamFailure;

  /**
   * Validates the parsed body (a 400 `GatewayError` naming the field at fault) and writes
   * what it learns into the record (stream, complexity, estimated input tokens).
   */
  parse(
    body: Record<string, unknown>,
    raw: Buffer,
    record: RequestRecord,
  ): Request;

  routing(request: Request): RoutingSummary;

  /** Whether the answer may come from, and go to, the prompt cache (when the tenant has one). */
  cacheable(request: Request): boolean;

  /**
   * A cached answer (`body`) as the answer to this request: the ids the API derives from the
   * request id are this request's, so that no two answers share one. Unset, the cached bytes
   * are replayed as they are (chat's keep the upstream's `chatcmpl-` id, as other gateways'
   * caches do).
   */
  ownCachedAnswer?(body: Buffer, requestId: string): Buffer;

  /** Sends one attempt to the profile's upstream through its provider adapter. */
  send(
    profile: GatewayModelProfile,
    exchange: Exchange<Request>,
  ): Promise<UpstreamResult>;

  /**
   * The answer's tokens when the upstream reported no usage: the tokenizer's count of the
   * `generated` text. (The prompt then pays its bound: `chargedUsage`.)
   */
  countOutput(generated: () => string): number;

  /** What of an upstream's reported usage the request pays; all of it when unset. */
  reportedCharge?(reported: TokenUsage): TokenUsage;

  /**
   * The request as an OpenAI chat body, for the prompt a trace records when the tenant opted
   * in; the caller's body when unset (chat, embeddings).
   */
  chatBody?(request: Request): Record<string, unknown>;
}
