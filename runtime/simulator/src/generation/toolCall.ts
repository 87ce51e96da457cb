import { hashString } from './DeterministicText';

/** A tool call the simulator makes: a tool's name and JSON arguments. */
export interface SimulatedToolCall {
  id: string;
  name: string;
  /**
   * JSON text of the arguments: `{"query": "<first prompt words>"}`; of a custom (free-form)
   * tool's call, its input: the first prompt words themselves.
   */
  arguments: string;
  /** A call of an OpenAI custom tool (`type: "custom"`), not of a function. */
  custom?: true;
}

interface OfferedTool {
  name: string;
  custom: boolean;
}

function offeredTools(tools: unknown, anthropic: boolean): OfferedTool[] {
  if (!Array.isArray(tools)) return [];
  return tools
    .map(tool =>
      !anthropic && tool?.type === 'custom'
        ? { name: tool?.custom?.name, custom: true }
        : {
            name: anthropic ? tool?.name : tool?.function?.name,
            custom: false,
          },
    )
    .filter(
      (tool): tool is OfferedTool =>
        typeof tool.name === 'string' && tool.name.length > 0,
    );
}

/**
 * The tool call to answer with, when the request forces one: OpenAI's `tool_choice` of
 * `required`, a named function or custom tool, or `allowed_tools` in `required` mode (the
 * first of `tools` that is allowed), Anthropic's `{type: "any"}` or `{type: "tool", name}`.
 * Otherwise (no tools, `auto`, `none`) the simulator answers with text.
 */
export function forcedToolCall(options: {
  tools: unknown;
  toolChoice: unknown;
  prompt: string;
  anthropic: boolean;
}): SimulatedToolCall | undefined {
  const offered = offeredTools(options.tools, options.anthropic);
  if (offered.length === 0) return undefined;
  const choice = options.toolChoice as Record<string, any> | string | undefined;
  let chosen: OfferedTool | undefined;
  if (options.anthropic) {
    if (typeof choice === 'object' && choice?.type === 'any')
      chosen = offered[0];
    if (typeof choice === 'object' && choice?.type === 'tool')
      chosen = offered.find(tool => tool.name === choice.name);
  } else {
    if (choice === 'required') chosen = offered[0];
    if (typeof choice === 'object' && choice?.type === 'function')
      chosen = offered.find(
        tool => !tool.custom && tool.name === choice.function?.name,
      );
    if (typeof choice === 'object' && choice?.type === 'custom')
      chosen = offered.find(
        tool => tool.custom && tool.name === choice.custom?.name,
      );
    // Required among some of the tools: the first of those.
    if (
      typeof choice === 'object' &&
      choice?.type === 'allowed_tools' &&
      choice.allowed_tools?.mode === 'required'
    ) {
      const allowed: unknown[] = choice.allowed_tools.tools ?? [];
      chosen = offered.find(tool =>
        allowed.some(
          (entry: any) =>
            entry?.type === (tool.custom ? 'custom' : 'function') &&
            entry?.[entry.type]?.name === tool.name,
        ),
      );
    }
  }
  if (!chosen) return undefined;
  const query = options.prompt
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 3)
    .join(' ');
  const tag = hashString(options.prompt).toString(36);
  return {
    id: options.anthropic ? `toolu_${tag}` : `call_${tag}`,
    name: chosen.name,
    ...(chosen.custom
      ? { arguments: query, custom: true as const }
      : { arguments: JSON.stringify({ query }) }),
  };
}
