import { z } from 'zod';
import { HttpError } from '../http/httpIo';

const contentPartSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
});
const contentSchema = z
  .union([z.string(), z.array(contentPartSchema), z.null()])
  .optional();

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1, 'must name a model'),
  messages: z
    .array(z.looseObject({ role: z.string().min(1), content: contentSchema }))
    .min(1, 'must hold at least one message'),
  max_tokens: z.int().positive().optional().nullable(),
  max_completion_tokens: z.int().positive().optional().nullable(),
  stream: z.boolean().optional().nullable(),
  stream_options: z
    .looseObject({ include_usage: z.boolean().optional() })
    .optional()
    .nullable(),
  seed: z.int().optional().nullable(),
  /** Completions to generate, as OpenAI and vLLM take it. */
  n: z.int().min(1).max(128).optional().nullable(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

export const embeddingsRequestSchema = z.looseObject({
  model: z.string().min(1, 'must name a model'),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.int()).min(1),
    z.array(z.array(z.int())).min(1),
  ]),
  dimensions: z.int().positive().max(8192).optional(),
  encoding_format: z.enum(['float', 'base64']).optional(),
});
export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

const anthropicBlockSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
});
export const anthropicRequestSchema = z.looseObject({
  model: z.string().min(1, 'must name a model'),
  max_tokens: z.int().positive('must be greater than 0'),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['user', 'assistant']),
        content: z.union([z.string(), z.array(anthropicBlockSchema)]),
      }),
    )
    .min(1, 'must hold at least one message'),
  system: z.union([z.string(), z.array(anthropicBlockSchema)]).optional(),
  stream: z.boolean().optional(),
});
export type AnthropicRequest = z.infer<typeof anthropicRequestSchema>;

/** Parses a body, turning the first issue into a 400 that names the field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const param = issue.path.join('.') || undefined;
    throw new HttpError(
      400,
      `${param ?? 'body'}: ${issue.message}`,
      'invalid_request_error',
      param,
    );
  }
  return result.data;
}

/** The plain text of a message content in either API's shape. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') {
    return content;
  }
  if (Array.isArray(content)) {
    return content
      .map(part => (typeof part?.text === 'string' ? part.text : ''))
      .join('');
  }
  return '';
}
