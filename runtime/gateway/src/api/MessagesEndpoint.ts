import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { RequestFields } from '@cellport/router';
import type { RequestRecord } from '../events/RequestRecord';
import { ANTHROPIC_ERRORS } from '../http/ErrorShape';
import type { UpstreamResult } from '../providers/types';
import type { ChatRequestSummary } from '../router/chatRequest';
import { ChatEndpoint } from './ChatEndpoint';
import type { EndpointAdapter, RoutingSummary } from './EndpointAdapter';
import type { Exchange } from './Exchange';
import { Json, withFieldsRenamed } from './fieldChecks';
import type { GatewayDeps } from './GatewayDeps';
import { messageFromCompletion } from './messages/messagesAnswer';
import { messagesField, readMessagesRequest } from './messages/messagesRequest';
import { MessagesStreamTranslator } from './messages/MessagesStreamTranslator';
import { requestIdTag } from './requestIdTag';
import { translateAnswer } from './translatedAnswer';

const MESSAGES_FIELDS: RequestFields = {
  prompt: 'messages',
  maxOutputTokens: 'max_tokens',
};

const messageId = (requestId: string) => `msg_${requestIdTag(requestId)}`;

/** A Messages request once checked: the chat body that goes upstream, and its summary. */
export interface MessagesRequest {
  chat: Json;
  summary: ChatRequestSummary;
}

/**
 * `POST /v1/messages` (Anthropic's Messages API): the request is translated to a chat body
 * and then handled as chat is (same checks, routing to any chat profile, limits, charging);
 * the chat answer every provider adapter gives (Anthropic's own translated by its adapter) is
 * translated back into a Messages answer or Anthropic's stream events. Errors are Anthropic's;
 * the key may come as `x-api-key`. Answers that do not stream may be cached, as chat's are.
 */
export class MessagesEndpoint implements EndpointAdapter<MessagesRequest> {
  readonly api = 'messages';
  readonly failureLog: string = 'messages request failed unexpectedly';
  readonly routesWithinRemainingBudget: boolean = true;
  readonly errors = ANTHROPIC_ERRORS;
  readonly acceptsApiKeyHeader: boolean = true;
  private readonly chat: ChatEndpoint;

  constructor(private readonly deps: GatewayDeps) {
    this.chat = new ChatEndpoint(deps);
  }

  parse(body: Json, raw: Buffer, record: RequestRecord): MessagesRequest {
    const chat = readMessagesRequest(body);
    const summary = withFieldsRenamed(
      () => this.chat.parse(chat, raw, record),
      messagesField,
    );
    return { chat, summary };
  }

  routing(request: MessagesRequest): RoutingSummary {
    return this.chat.routing(request.summary, MESSAGES_FIELDS);
  }

  cacheable(request: MessagesRequest): boolean {
    return !request.summary.stream;
  }

  async send(
    profile: GatewayModelProfile,
    exchange: Exchange<MessagesRequest>,
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
    const id = messageId(life.requestId);
    return translateAnswer(
      result,
      {
        json: (completion, usage) =>
          messageFromCompletion(completion, usage, id),
        stream: () => new MessagesStreamTranslator(id),
      },
      (reported, generated, promptCounted) =>
        exchange.charged(profile, reported, generated, promptCounted),
      life.abort.signal,
    );
  }

  ownCachedAnswer(body: Buffer, requestId: string): Buffer {
    const message = JSON.parse(body.toString('utf8'));
    message.id = messageId(requestId);
    return Buffer.from(JSON.stringify(message));
  }

  chatBody(request: MessagesRequest): Record<string, unknown> {
    return request.chat;
  }

  countOutput(generated: () => string): number {
    return this.chat.countOutput(generated);
  }
}
