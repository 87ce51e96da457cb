import type { Provider } from '@cellport/plugin-platform-common';

/**
 * Names from the OpenTelemetry GenAI semantic conventions (development status, so not in the
 * stable export of `@opentelemetry/semantic-conventions`); written once here.
 */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  /** The name before `gen_ai.provider.name` (conventions up to 1.36); backends still chart it. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  finishReasons: 'gen_ai.response.finish_reasons',
  timeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
} as const;

/** What the gateway does for a caller, as `gen_ai.operation.name` names it. */
export type GenAiOperation = 'chat' | 'embeddings';

/** `gen_ai.provider.name` of a profile's provider: the well-known value where there is one. */
export function genAiProviderName(provider: Provider | string): string {
  if (provider === 'azure-openai') return 'azure.ai.openai';
  return provider;
}
