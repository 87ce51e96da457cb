import type { IncomingMessage, ServerResponse } from 'node:http';
import { countPromptTokens, embedText } from '../generation/DeterministicText';
import { sendJson } from '../http/httpIo';
import { embeddingsRequestSchema, parseBody } from './requestSchemas';
import {
  applyFaults,
  clientGoneSignal,
  SimulatorDeps,
  waitForCompletion,
} from './RequestContext';

/** Float32 little-endian bytes in base64, as OpenAI answers `encoding_format: base64`. */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** `POST /v1/embeddings`: deterministic unit vectors, one per input. */
export async function handleEmbeddings(
  deps: SimulatorDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): Promise<void> {
  const request = parseBody(embeddingsRequestSchema, body);
  const behaviour = deps.catalog.behaviour(request.model);
  deps.stats.requestStarted(request.model);
  const going = applyFaults(deps, behaviour, res);
  if (going === 'answered') {
    return;
  }
  const inputs: string[] =
    typeof request.input === 'string'
      ? [request.input]
      : (request.input as unknown[]).map(item =>
          typeof item === 'string' ? item : JSON.stringify(item),
        );
  const dimensions = request.dimensions ?? behaviour.embeddingDimensions;
  const signal = clientGoneSignal(req, res);
  try {
    await waitForCompletion(behaviour, going, 0, signal, res);
  } catch {
    if (!going.cut) deps.stats.requestCancelled();
    return;
  }
  const promptTokens = countPromptTokens(inputs, behaviour.promptTokens);
  sendJson(res, 200, {
    object: 'list',
    model: request.model,
    data: inputs.map((input, index) => {
      const vector = embedText(input, dimensions, deps.seed);
      return {
        object: 'embedding',
        index,
        embedding:
          request.encoding_format === 'base64' ? toBase64(vector) : vector,
      };
    }),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
  deps.stats.requestCompleted();
}
