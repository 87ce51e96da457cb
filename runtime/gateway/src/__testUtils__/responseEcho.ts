import type { ResponseEcho } from '../api/responses/responsesRequest';

/** What a Responses answer repeats of a request that set nothing but its input. */
export const DEFAULT_ECHO: ResponseEcho = {
  instructions: null,
  max_output_tokens: null,
  temperature: null,
  top_p: null,
  tools: [],
  tool_choice: 'auto',
  parallel_tool_calls: true,
  metadata: {},
  reasoning: { effort: null, summary: null },
  text: { format: { type: 'text' } },
  user: null,
};
