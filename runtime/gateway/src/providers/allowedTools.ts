type Json = Record<string, any>;

/**
 * A chat body whose `tool_choice` of `allowed_tools` (checked already: each named tool is in
 * `tools`) is spelled as every chat API takes it: only the allowed tools, with `auto` or
 * `required`. OpenAI's own API takes the choice as it is, and keeps the whole tool list the
 * same across turns for its prompt cache; Anthropic's has no such choice, nor do vLLM's and
 * Azure's API version. The model may then call only the allowed tools either way.
 */
export function narrowedToAllowedTools(body: Json): Json {
  const choice = body.tool_choice;
  if (choice?.type !== 'allowed_tools' || !Array.isArray(body.tools)) {
    return body;
  }
  const allowed: Json[] = choice.allowed_tools.tools;
  const isAllowed = (tool: Json) =>
    allowed.some(
      entry =>
        entry.type === tool?.type &&
        entry[entry.type]?.name === tool[tool.type]?.name,
    );
  return {
    ...body,
    tools: body.tools.filter(isAllowed),
    tool_choice: choice.allowed_tools.mode,
  };
}
