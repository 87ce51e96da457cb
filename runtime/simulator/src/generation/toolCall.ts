import { hashString } from './DeterministicText';

/** A tool call the simulator makes: a tool's name and JSON arguments. */
export interface SimulatedToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments: `{"query": "<first prompt words>"}`. */
  arguments: string;
}

function toolNames(tools: unknown, anthropic: boolean): string[] {
  if (!Array.isArray(tools)) return [];
  return tools
    .map(tool => (anthropic ? tool?.name : tool?.function?.name))
    .filter(
      (name): name is string => typeof name === 'string' && name.length > 0,
    );
}

/**
 * The tool call to answer with, when the request forces one: OpenAI's `tool_choice` of
 * `required` or a named function, Anthropic's `{type: "any"}` or `{type: "tool", name}`.
 * Otherwise (no tools, `auto`, `none`) the simulator answers with text.
 */
export function forcedToolCall(options: {
  tools: unknown;
  toolChoice: unknown;
  prompt: string;
  anthropic: boolean;
}): SimulatedToolCall | undefined {
  const names = toolNames(options.tools, options.anthropic);
  if (names.length === 0) return undefined;
  const choice = options.toolChoice as Record<string, any> | string | undefined;
  let name: string | undefined;
  if (options.anthropic) {
    if (typeof choice === 'object' && choice?.type === 'any') name = names[0];
    if (typeof choice === 'object' && choice?.type === 'tool')
      name = choice.name;
  } else {
    if (choice === 'required') name = names[0];
    if (typeof choice === 'object' && choice?.function?.name)
      name = choice.function.name;
  }
  if (!name || !names.includes(name)) return undefined;
  const query = options.prompt
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 3)
    .join(' ');
  const tag = hashString(options.prompt).toString(36);
  return {
    id: options.anthropic ? `toolu_${tag}` : `call_${tag}`,
    name,
    arguments: JSON.stringify({ query }),
  };
}
