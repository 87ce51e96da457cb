import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { RequestFields } from '@cellport/router';
import type { RequestRecord } from '../events/RequestRecord';
import { RESPONSES_ERRORS } from '../http/ErrorShape';
import type { UpstreamResult } from '../providers/types';
import type { ChatRequestSummary } from '../router/chatRequest';
import { ChatEndpoint } from './ChatEndpoint';
import type { EndpointAdapter, RoutingSummary } from './EndpointAdapter';
import type { Exchange } from './Exchange';
import { Json, withFieldsRenamed } from './fieldChecks';
import type { GatewayDeps } from './GatewayDeps';
import { ResponseIds } from './responses/responseObject';
import { responseFromCompletion } from './responses/responsesAnswer';
import {
  readResponsesRequest,
  ResponseEcho,
  responsesField,
} from './responses/responsesRequest';
import { ResponsesStreamTranslator } from './responses/ResponsesStreamTranslator';
import { translateAnswer } from './translatedAnswer';

const RESPONSES_FIELDS: RequestFields = {
  prompt: 'input',
  maxOutputTokens: 'max_output_tokens',
};

/** A Responses request once checked: the chat body that goes upstream, and what the answer repeats. */
export interface ResponsesRequest {
  chat: Json;
  summary: ChatRequestSummary;
  echo: ResponseEcho;
}

/**
 * `POST /v1/responses` (OpenAI's Responses API, stateless): the request is translated to a
 * chat body and then handled as chat is (same checks, routing, limits, charging); the chat
 * answer every provider adapter gives is translated back into a `response`, or its typed
 * stream events. A JSON answer is cached as chat's are, in the Responses shape: the cache
 * keys on the API too.
 */
export class ResponsesEndpoint implements EndpointAdapter<ResponsesRequest> {
  readonly api = 'responses';
  readonly failureLog: string = 'responses request failed unexpectedly';
  readonly routesWithinRemainingBudget: boolean = true;
  readonly errors = RESPONSES_ERRORS;
  private readonly chat: ChatEndpoint;

  constructor(private readonly deps: GatewayDeps) {
    this.chat = new ChatEndpoint(deps);
  }

  parse(body: Json, raw: Buffer, record: RequestRecord): ResponsesRequest {
    const { chat, echo, addedPromptBytes, sources } =
      readResponsesRequest(body);
    const summary = withFieldsRenamed(
      () => this.chat.parse(chat, raw, record),
      param => responsesField(param, sources),
    );
    // The bound counts the caller's bytes; the upstream also reads what translation added.
    summary.promptTokenBound += addedPromptBytes;
    return { chat, summary, echo };
  }

  routing(request: ResponsesRequest): RoutingSummary {
    return this.chat.routing(request.summary, RESPONSES_FIELDS);
  }

  cacheable(request: ResponsesRequest): boolean {
    return !request.summary.stream;
  }

  async send(
    profile: GatewayModelProfile,
    exchange: Exchange<ResponsesRequest>,
  ): Promise<UpstreamResult> {
    const { life, request } = exchange;
    const result = await this.deps.adapters[profile.provider].chat({
      profile,
      body: request.chat,
      summary: request.summary,
      signal: life.abort.signal,
      traceparent: life.traceparent,
      memory: life.res.memory,
      tracestate: life.tracestate,
    });
    const ids = new ResponseIds(life.requestId);
    const createdAt = Math.floor(Date.now() / 1000);
    return translateAnswer(
      result,
      {
        json: (completion, usage) =>
          responseFromCompletion(completion, usage, ids, request.echo),
        stream: () => {
          const translator = new ResponsesStreamTranslator(
            ids,
            request.echo,
            createdAt,
          );
          // Attempts stream one after another: the last to start is the one relayed.
          life.streamSequence = () => translator.nextSequence;
          return translator;
        },
      },
      (reported, generated, promptCounted) =>
        exchange.charged(profile, reported, generated, promptCounted),
      life.abort.signal,
    );
  }

  ownCachedAnswer(body: Buffer, requestId: string): Buffer {
    const response = JSON.parse(body.toString('utf8'));
    const ids = new ResponseIds(requestId);
    response.id = ids.response;
    response.created_at = Math.floor(Date.now() / 1000);
    let calls = 0;
    response.output.forEach((item: { type: string; id: string }, i: number) => {
      item.id =
        item.type === 'function_call'
          ? ids.functionCall(calls++)
          : ids.messageAt(i);
    });
    return Buffer.from(JSON.stringify(response));
  }

  chatBody(request: ResponsesRequest): Record<string, unknown> {
    return request.chat;
  }

  countOutput(generated: () => string): number {
    return this.chat.countOutput(generated);
  }
}
