import { narrowedToAllowedTools } from './allowedTools';
import { toAnthropicRequest } from './anthropicTranslation';

const fn = (name: string) => ({
  type: 'function',
  function: { name, parameters: { type: 'object' } },
});
const custom = (name: string) => ({ type: 'custom', custom: { name } });
const allowedTools = (mode: string, tools: object[]) => ({
  type: 'allowed_tools',
  allowed_tools: { mode, tools },
});

describe('narrowedToAllowedTools', () => {
  it('keeps only the allowed tools, by type and name, and their mode as the choice', () => {
    const body = {
      messages: [{ role: 'user', content: 'hi' }],
      tools: [fn('weather'), fn('clock'), custom('clock'), custom('sql')],
      tool_choice: allowedTools('required', [
        { type: 'function', function: { name: 'clock' } },
        { type: 'custom', custom: { name: 'sql' } },
      ]),
    };
    expect(narrowedToAllowedTools(body)).toEqual({
      messages: body.messages,
      tools: [fn('clock'), custom('sql')],
      tool_choice: 'required',
    });
  });

  it('leaves any other body as it is', () => {
    const body = { tools: [fn('weather')], tool_choice: 'auto' };
    expect(narrowedToAllowedTools(body)).toBe(body);
  });

  it('gives Anthropic the allowed tools and auto or any, parallel calls off when asked', () => {
    const body = (mode: string, parallel?: boolean) => ({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [fn('weather'), fn('clock')],
      tool_choice: allowedTools(mode, [
        { type: 'function', function: { name: 'clock' } },
      ]),
      ...(parallel === undefined ? {} : { parallel_tool_calls: parallel }),
    });
    const auto = toAnthropicRequest(body('auto'), 'claude', 100);
    expect(auto.tools.map((tool: { name: string }) => tool.name)).toEqual([
      'clock',
    ]);
    expect(auto.tool_choice).toEqual({ type: 'auto' });
    expect(
      toAnthropicRequest(body('required', false), 'claude', 100).tool_choice,
    ).toEqual({ type: 'any', disable_parallel_tool_use: true });
  });
});
