import type { ServerResponse } from 'node:http';

/** One OpenAI `chat.completion.chunk` event of `choices`. */
export function chatChunk(
  choices: unknown[],
  extra: Record<string, unknown> = {},
): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'up-model',
    choices,
    ...extra,
  })}\n\n`;
}

/** The closing chunk of an OpenAI stream asked for usage: no choices, the counts. */
export function usageChunk(prompt: number, completion: number): string {
  return chatChunk([], {
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    },
  });
}

/**
 * `text` as UTF-8 cut every `size` bytes, so that lines, events and multi-byte characters
 * fall apart across writes.
 */
export function byteSlices(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const slices: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size)
    slices.push(bytes.subarray(at, at + size));
  return slices;
}

/**
 * Answers with an event stream of `parts`, written one by one `gapMs` apart so that each
 * tends to reach the gateway in a read of its own, then ends it.
 */
export async function writeSlowly(
  res: ServerResponse,
  parts: (string | Buffer)[],
  gapMs = 5,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const part of parts) {
    if (res.destroyed) return;
    res.write(part);
    await new Promise(resolve => setTimeout(resolve, gapMs));
  }
  if (!res.destroyed) res.end();
}
