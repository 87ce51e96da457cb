import { chatUsage, finishReason, matchedStop } from './anthropicTranslation';
import {
  MAX_GENERATED_CHARS,
  pendingProblem,
  SseLines,
  sseProblem,
  TOO_MUCH_OUTPUT,
} from './sseText';
import type { TokenUsage } from './types';
import { openAiUsageOf } from './extractUsage';
import { foldChoices, type GeneratedChoice } from './generatedText';
import { UpstreamAnswerError } from './upstreamAnswer';

type Json = Record<string, any>;

function parseEvent(data: string): Json {
  try {
    const event = JSON.parse(data);
    if (event !== null && typeof event === 'object') return event;
  } catch {
    // Reported below.
  }
  throw new UpstreamAnswerError(
    'upstream sent an event that is not a JSON object',
  );
}

/**
 * The events of an answer, which come after its `message_start`; others (`ping`, `error`, the
 * types Anthropic may add, which clients are to ignore) may come at any point.
 */
const ANSWER_EVENTS = new Set<unknown>([
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
]);

/** The prompt's counts in Anthropic's usage, which a `message_delta` may carry grown. */
const PROMPT_COUNTS = [
  'input_tokens',
  'cache_read_input_tokens',
  'cache_creation_input_tokens',
] as const;

/**
 * Turns Anthropic's streamed events (message_start, content_block_*, message_delta,
 * message_stop) into OpenAI chat.completion.chunk events, keeping the usage Anthropic reports
 * (input tokens at the start, output tokens at the end).
 */
export class AnthropicStreamTranslator {
  private readonly lines = new SseLines();
  private id = '';
  private model = '';
  /** As the upstream sent them: `usage` checks that they are counts. */
  private startUsage?: Json;
  private outputTokens?: unknown;
  /** Where the answer stands: an event out of this order is not an answer to relay. */
  private phase: 'before-start' | 'started' | 'delta-sent' = 'before-start';
  private finished = false;
  private text = '';
  /** Anthropic content-block index → OpenAI tool_calls index. */
  private readonly toolIndex = new Map<number, number>();
  /** Tool-use blocks whose arguments have begun: one that ends with none took `{}`. */
  private readonly toolArguments = new Set<number>();
  /** Its output by choice (one), for an opted-in trace. */
  private readonly output: GeneratedChoice[] = [];
  private forwarded = false;
  /** Why the stream failed after the events `push` last returned. */
  private broken?: UpstreamAnswerError;

  constructor(
    private readonly includeUsage: boolean,
    private readonly created: number,
    /** The request used the older `functions`: its call goes back as `function_call`. */
    private readonly legacyFunctions = false,
  ) {}

  /** Anthropic's counts, once the output's is known; undefined when either is not a count. */
  get usage(): TokenUsage | undefined {
    return this.outputTokens === undefined
      ? undefined
      : openAiUsageOf(this.chatUsage());
  }

  /** The prompt's count from `message_start`, all an unfinished answer reported. */
  get promptTokens(): number | undefined {
    return openAiUsageOf(chatUsage(this.startUsage, 0))?.inputTokens;
  }

  private chatUsage(): Json {
    return chatUsage(this.startUsage, this.outputTokens);
  }

  /** The answer's `message_stop` came, and no failure before it: nothing after it counts. */
  get complete(): boolean {
    return this.finished && !this.broken;
  }

  /** The upstream ended: a stream without its `message_stop` was cut short. */
  end(): void {
    this.throwIfBroken();
    if (!this.finished) {
      throw new UpstreamAnswerError(
        'upstream stream ended before its answer finished',
      );
    }
  }

  get generatedText(): string {
    return this.text;
  }

  get generatedChoices(): GeneratedChoice[] {
    return this.output;
  }

  /** Fails the stream whose last translated events came before a failing one. */
  throwIfBroken(): void {
    if (this.broken) throw this.broken;
  }

  /**
   * Takes upstream SSE text; returns OpenAI SSE text for the complete events in it. Text that
   * is not SSE, an event that is not JSON and an `error` event throw an UpstreamAnswerError:
   * at once while the caller has no events yet (so another upstream serves the request),
   * else after the good events read with it (`throwIfBroken`).
   */
  push(text: string): string {
    // The answer is complete: what an upstream sends after its stop is no part of it.
    if (this.finished) return '';
    const lines = this.lines;
    lines.append(text);
    let out = '';
    try {
      while (!this.finished) {
        const end = lines.pending.indexOf('\n\n');
        if (end < 0) break;
        const block = lines.pending.slice(0, end);
        lines.pending = lines.pending.slice(end + 2);
        const problem = sseProblem(block);
        if (problem) throw new UpstreamAnswerError(problem);
        const dataLine = block
          .split('\n')
          .find(line => line.startsWith('data:'));
        if (dataLine) {
          out += this.translateOrFail(parseEvent(dataLine.slice(5).trim()));
        }
        // Its text is kept to count its tokens: an upstream that never stops is cut off.
        if (this.text.length > MAX_GENERATED_CHARS) {
          throw new UpstreamAnswerError(TOO_MUCH_OUTPUT);
        }
      }
      if (this.finished) lines.pending = '';
      const problem = pendingProblem(lines.pending);
      if (problem) throw new UpstreamAnswerError(problem);
    } catch (error) {
      if (!(error instanceof UpstreamAnswerError) || !this.forwarded || !out) {
        throw error;
      }
      this.broken = error;
    }
    if (out) this.forwarded = true;
    return out;
  }

  /** An event of a shape the translation cannot take (too deep to serialize) is unusable. */
  private translateOrFail(event: Json): string {
    try {
      return this.translate(event);
    } catch (error) {
      if (error instanceof UpstreamAnswerError) throw error;
      throw new UpstreamAnswerError(
        'upstream sent an event that cannot be translated',
      );
    }
  }

  /**
   * A Messages stream is `message_start`, its content blocks, a `message_delta` with the stop
   * reason (and output tokens), then `message_stop`. A stop without the start or the stop
   * reason (a stream of `message_stop` alone) would reach the caller as a complete, empty
   * answer, and a block before the start as an answer without its id and model.
   */
  private checkOrder(type: unknown): void {
    const out =
      (type === 'message_start' && this.phase !== 'before-start') ||
      (this.phase === 'before-start' && ANSWER_EVENTS.has(type)) ||
      (type === 'message_stop' && this.phase !== 'delta-sent');
    if (out) {
      throw new UpstreamAnswerError(
        `upstream sent a ${String(type).slice(
          0,
          40,
        )} event out of a Messages stream's order`,
      );
    }
  }

  private chunk(
    delta: Json,
    finish: string | null = null,
    matched: Json = {},
  ): string {
    foldChoices(this.output, [{ delta, finish_reason: finish }], 'delta');
    return `data: ${JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, ...matched }],
      ...(this.includeUsage ? { usage: null } : {}),
    })}\n\n`;
  }

  /**
   * A tool call whose block ends with no arguments takes `{}`, as a non-streamed answer's
   * (`input: {}`) does: `""` is no JSON, and SDKs that parse arguments throw on it.
   */
  private endToolCall(blockIndex: unknown): string {
    const index = this.toolIndex.get(blockIndex as number);
    if (index === undefined || this.toolArguments.has(blockIndex as number)) {
      return '';
    }
    this.toolArguments.add(blockIndex as number);
    this.text += '{}';
    if (this.legacyFunctions) {
      return this.chunk({ function_call: { arguments: '{}' } });
    }
    return this.chunk({
      tool_calls: [{ index, function: { arguments: '{}' } }],
    });
  }

  private translate(event: Json): string {
    this.checkOrder(event.type);
    switch (event.type) {
      case 'message_start':
        this.phase = 'started';
        this.id = event.message?.id ?? '';
        this.model = event.message?.model ?? '';
        this.startUsage = event.message?.usage;
        return this.chunk({ role: 'assistant', content: '' });
      case 'content_block_start':
        if (event.content_block?.type === 'tool_use') {
          if (
            typeof event.content_block.name !== 'string' ||
            !['string', 'undefined'].includes(typeof event.content_block.id)
          ) {
            throw new UpstreamAnswerError(
              'upstream sent a tool_use block whose name or id is not text',
            );
          }
          const index = this.toolIndex.size;
          this.toolIndex.set(event.index, index);
          if (typeof event.content_block.name === 'string')
            this.text += event.content_block.name;
          // Input may come whole in the start (Anthropic's SDK keeps it), not as deltas.
          const input = event.content_block.input;
          const initial =
            input !== null &&
            typeof input === 'object' &&
            Object.keys(input).length > 0
              ? JSON.stringify(input)
              : '';
          if (initial) {
            this.toolArguments.add(event.index);
            this.text += initial;
          }
          if (this.legacyFunctions) {
            return this.chunk({
              function_call: {
                name: event.content_block.name,
                arguments: initial,
              },
            });
          }
          return this.chunk({
            tool_calls: [
              {
                index,
                id: event.content_block.id,
                type: 'function',
                function: {
                  name: event.content_block.name,
                  arguments: initial,
                },
              },
            ],
          });
        }
        if (
          event.content_block?.type === 'text' &&
          typeof event.content_block.text === 'string' &&
          event.content_block.text !== ''
        ) {
          // Text that starts in the block's start (a prefill) is part of the answer.
          this.text += event.content_block.text;
          return this.chunk({ content: event.content_block.text });
        }
        return '';
      case 'content_block_delta':
        if (event.delta?.type === 'text_delta') {
          if (typeof event.delta.text !== 'string') {
            throw new UpstreamAnswerError(
              'upstream sent a text delta that is not text',
            );
          }
          this.text += event.delta.text;
          return this.chunk({ content: event.delta.text });
        }
        if (event.delta?.type === 'input_json_delta') {
          if (
            typeof event.delta.partial_json !== 'string' ||
            !this.toolIndex.has(event.index)
          ) {
            throw new UpstreamAnswerError(
              'upstream sent tool input that is not text, or for no tool_use block it started',
            );
          }
          // A tool call's arguments are output tokens, as its text is.
          this.text += event.delta.partial_json;
          if (event.delta.partial_json !== '') {
            this.toolArguments.add(event.index);
          }
          if (this.legacyFunctions) {
            return this.chunk({
              function_call: { arguments: event.delta.partial_json },
            });
          }
          return this.chunk({
            tool_calls: [
              {
                index: this.toolIndex.get(event.index) ?? 0,
                function: { arguments: event.delta.partial_json },
              },
            ],
          });
        }
        return '';
      case 'content_block_stop':
        return this.endToolCall(event.index);
      case 'message_delta':
        this.outputTokens = event.usage?.output_tokens ?? this.outputTokens;
        // Its counts are cumulative (Anthropic's streaming docs): prompt counts given here,
        // grown since `message_start` (server tools, a cache read), replace those; never
        // downwards, or a relay's 0 would make the prompt free.
        for (const field of PROMPT_COUNTS) {
          const count = event.usage?.[field];
          const before = this.startUsage?.[field];
          if (
            count !== undefined &&
            count !== null &&
            !(Number.isSafeInteger(before) && Number(count) <= before)
          ) {
            this.startUsage = { ...this.startUsage, [field]: count };
          }
        }
        // Only the delta with the stop reason ends the answer; one without changes its usage.
        if (
          event.delta?.stop_reason === undefined ||
          event.delta?.stop_reason === null
        ) {
          return '';
        }
        this.phase = 'delta-sent';
        return this.chunk(
          {},
          finishReason(event.delta?.stop_reason, this.legacyFunctions),
          matchedStop(event.delta?.stop_reason, event.delta?.stop_sequence),
        );
      case 'message_stop': {
        this.finished = true;
        let tail = '';
        if (this.includeUsage && this.usage) {
          tail = `data: ${JSON.stringify({
            id: this.id,
            object: 'chat.completion.chunk',
            created: this.created,
            model: this.model,
            choices: [],
            usage: this.chatUsage(),
          })}\n\n`;
        }
        return `${tail}data: [DONE]\n\n`;
      }
      case 'error':
        throw new UpstreamAnswerError(
          `upstream stream error: ${String(
            event.error?.type ?? 'unknown',
          ).slice(0, 60)}`,
        );
      default:
        return '';
    }
  }
}
