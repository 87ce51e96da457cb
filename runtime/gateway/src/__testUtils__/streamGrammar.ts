/** One event of an SSE text, as a client that dispatches it sees it. */
export interface SseEvent {
  event?: string;
  data: any;
}

/** The events of an SSE text: each its event name and its data, parsed where it is JSON. */
export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0) continue;
    const raw = data.join('\n');
    let parsed: any = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // [DONE], kept as its text.
    }
    out.push({ event, data: parsed });
  }
  return out;
}

/**
 * Checks a Responses API event stream against OpenAI's streaming grammar: event names and
 * types agree, sequence numbers count from 0, items open in order and close before the
 * end, and each `.done` and the final response hold what the deltas said. Returns the
 * violations (none when well-formed), the final response and the usage it shows.
 */
export function responsesGrammar(text: string): {
  problems: string[];
  events: SseEvent[];
  final?: any;
  usage?: any;
} {
  const events = parseSse(text);
  const problems: string[] = [];
  const open = new Map<number, any>();
  const done = new Map<number, any>();
  let nextIndex = 0;
  events.forEach((e, i) => {
    const d = e.data;
    if (e.event !== d?.type)
      problems.push(`#${i}: event name ${e.event} but type ${d?.type}`);
    if (d?.sequence_number !== i)
      problems.push(`#${i} ${d?.type}: sequence_number ${d?.sequence_number}`);
    if (i === 0 && d?.type !== 'response.created')
      problems.push(`first event is ${d?.type}`);
    if (i === 1 && d?.type !== 'response.in_progress')
      problems.push(`second event is ${d?.type}`);
    switch (d?.type) {
      case 'response.output_item.added':
        if (d.output_index !== nextIndex)
          problems.push(
            `#${i}: item added at ${d.output_index}, expected ${nextIndex}`,
          );
        nextIndex = d.output_index + 1;
        open.set(d.output_index, { ...d.item, text: '', args: '' });
        break;
      case 'response.output_text.delta':
      case 'response.refusal.delta':
      case 'response.function_call_arguments.delta': {
        const item = open.get(d.output_index);
        if (!item)
          problems.push(`#${i}: ${d.type} for item ${d.output_index} not open`);
        else if (item.id !== d.item_id)
          problems.push(`#${i}: ${d.type} item_id ${d.item_id} != ${item.id}`);
        else if (d.type === 'response.function_call_arguments.delta')
          item.args += d.delta;
        else item.text += d.delta;
        break;
      }
      case 'response.function_call_arguments.done': {
        const item = open.get(d.output_index);
        if (!item) problems.push(`#${i}: args done for closed item`);
        else if (item.args !== d.arguments)
          problems.push(
            `#${i}: args done ${JSON.stringify(
              d.arguments,
            )} but deltas made ${JSON.stringify(item.args)}`,
          );
        break;
      }
      case 'response.output_text.done': {
        const item = open.get(d.output_index);
        if (!item) problems.push(`#${i}: text done for closed item`);
        else if (item.text !== d.text)
          problems.push(
            `#${i}: text done ${JSON.stringify(
              d.text,
            )} but deltas made ${JSON.stringify(item.text)}`,
          );
        break;
      }
      case 'response.output_item.done':
        if (!open.has(d.output_index))
          problems.push(`#${i}: item ${d.output_index} done but not open`);
        open.delete(d.output_index);
        done.set(d.output_index, d.item);
        break;
      default:
        break;
    }
  });
  const last = events[events.length - 1]?.data;
  let final: any;
  if (
    last?.type === 'response.completed' ||
    last?.type === 'response.incomplete'
  ) {
    final = last.response;
    if (open.size > 0)
      problems.push(`items still open at the end: ${[...open.keys()]}`);
    const items = [...done.keys()].sort((a, b) => a - b).map(k => done.get(k));
    if (JSON.stringify(final.output) !== JSON.stringify(items))
      problems.push(
        `final output differs from the items done: ${JSON.stringify(
          final.output,
        )} vs ${JSON.stringify(items)}`,
      );
    if (!final.usage) problems.push('final response has no usage');
  } else {
    problems.push(`last event is ${last?.type}`);
  }
  return { problems, events, final, usage: final?.usage };
}

/**
 * Checks a Messages event stream against Anthropic's streaming grammar: message_start first;
 * blocks numbered in order, each started, given deltas of its own type and stopped before the
 * next starts; message_delta then message_stop last. Returns the violations, the blocks
 * (a tool's input parsed from its deltas), the message_delta and the usage it shows.
 */
export function messagesGrammar(text: string): {
  problems: string[];
  events: SseEvent[];
  blocks: any[];
  delta?: any;
  usage?: any;
} {
  const events = parseSse(text);
  const problems: string[] = [];
  const blocks: any[] = [];
  let openIndex: number | undefined;
  let delta: any;
  events.forEach((e, i) => {
    const d = e.data;
    if (e.event !== d?.type)
      problems.push(`#${i}: event name ${e.event} but type ${d?.type}`);
    if (i === 0 && d?.type !== 'message_start')
      problems.push(`first event is ${d?.type}`);
    switch (d?.type) {
      case 'content_block_start':
        if (openIndex !== undefined)
          problems.push(
            `#${i}: block ${d.index} starts while ${openIndex} is open`,
          );
        if (d.index !== blocks.length)
          problems.push(
            `#${i}: block index ${d.index}, expected ${blocks.length}`,
          );
        openIndex = d.index;
        blocks[d.index] = { ...d.content_block, json: '' };
        break;
      case 'content_block_delta': {
        if (d.index !== openIndex)
          problems.push(
            `#${i}: delta for ${d.index} while ${openIndex} is open`,
          );
        const block = blocks[d.index];
        if (!block) break;
        if (d.delta.type === 'text_delta') {
          if (block.type !== 'text')
            problems.push(`#${i}: text_delta in ${block.type}`);
          block.text += d.delta.text;
        } else if (d.delta.type === 'input_json_delta') {
          if (block.type !== 'tool_use')
            problems.push(`#${i}: input_json_delta in ${block.type}`);
          block.json += d.delta.partial_json;
        }
        break;
      }
      case 'content_block_stop':
        if (d.index !== openIndex)
          problems.push(
            `#${i}: stop for ${d.index} while ${openIndex} is open`,
          );
        openIndex = undefined;
        break;
      case 'message_delta':
        delta = d;
        break;
      default:
        break;
    }
  });
  const n = events.length;
  if (events[n - 1]?.data?.type !== 'message_stop')
    problems.push(`last event is ${events[n - 1]?.data?.type}`);
  if (events[n - 2]?.data?.type !== 'message_delta')
    problems.push(`event before last is ${events[n - 2]?.data?.type}`);
  if (openIndex !== undefined)
    problems.push(`block ${openIndex} never stopped`);
  for (const block of blocks) {
    if (block?.type === 'tool_use') {
      try {
        block.input = block.json ? JSON.parse(block.json) : {};
      } catch {
        problems.push(
          `tool block ${block.id}: partial_json is not JSON: ${block.json}`,
        );
      }
    }
    delete block?.json;
  }
  return { problems, events, blocks, delta, usage: delta?.usage };
}

/**
 * Checks a chat completions event stream as OpenAI's clients read it: each event a
 * `chat.completion.chunk`, a finish reason before the end, and `[DONE]`, where it comes (an
 * upstream may end without it, and the clients take the end of the body instead), only last.
 * Returns the violations, the text and the tool calls (by index) the deltas make, the finish
 * reason and the usage of the chunk that carries it.
 */
export function chatGrammar(text: string): {
  problems: string[];
  events: SseEvent[];
  content: string;
  calls: { id?: string; name?: string; arguments: string }[];
  finishReason?: string;
  usage?: any;
} {
  const events = parseSse(text);
  const problems: string[] = [];
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  let content = '';
  let finishReason: string | undefined;
  let usage: any;
  events.forEach((e, i) => {
    const d = e.data;
    if (d === '[DONE]') {
      if (i !== events.length - 1)
        problems.push(`#${i}: [DONE] before the end`);
      return;
    }
    if (d?.object !== 'chat.completion.chunk' || !Array.isArray(d.choices)) {
      problems.push(`#${i}: not a chunk: ${JSON.stringify(d).slice(0, 200)}`);
      return;
    }
    for (const choice of d.choices) {
      content += choice.delta?.content ?? '';
      for (const delta of choice.delta?.tool_calls ?? []) {
        const call = (calls[delta.index] ??= { arguments: '' });
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name = delta.function.name;
        call.arguments += delta.function?.arguments ?? '';
      }
      finishReason = choice.finish_reason ?? finishReason;
    }
    if (d.usage) usage = d.usage;
  });
  if (finishReason === undefined) problems.push('no choice finished');
  return { problems, events, content, calls, finishReason, usage };
}
