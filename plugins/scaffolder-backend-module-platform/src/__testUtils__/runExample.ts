import {
  ActionContext,
  TemplateAction,
  TemplateExample,
} from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { validate } from 'jsonschema';
import { parse } from 'yaml';

/** What the steps of an example put out, by step id. */
export type ExampleOutputs = Record<string, Record<string, any>>;

const EXPRESSION = /\$\{\{\s*([\w.]+)\s*\}\}/g;
const WHOLE_EXPRESSION = /^\$\{\{\s*([\w.]+)\s*\}\}$/;

function lookUp(path: string, scope: object): unknown {
  const value = path
    .split('.')
    .reduce<any>((at, key) => (at === undefined ? at : at[key]), scope);
  if (value === undefined) {
    throw new Error(`The example refers to \${{ ${path} }}, which is unset`);
  }
  return value;
}

/**
 * An example's input with its `${{ a.b.c }}` references filled in. A value that is one
 * reference keeps its type, as the scaffolder keeps it (an entity stays an object); one inside
 * text becomes text. Only plain references: an example needing more is not checked here.
 */
function resolve(value: unknown, scope: object): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_EXPRESSION.exec(value);
    if (whole) return lookUp(whole[1], scope);
    return value.replace(EXPRESSION, (_, path) => String(lookUp(path, scope)));
  }
  if (Array.isArray(value)) return value.map(v => resolve(v, scope));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolve(v, scope)]),
    );
  }
  return value;
}

/**
 * Runs the steps of an action's documented example in order, as a template would: each
 * step's input gets its references to the parameters and earlier steps' outputs filled in and
 * is checked against the JSON Schema its action declares (the check the scaffolder makes
 * before a step runs), then the action's handler runs on it. Throws, naming the step, for an
 * input its action would refuse.
 */
export async function runExample(
  example: TemplateExample,
  options: {
    actions: TemplateAction<any, any, any>[];
    parameters?: Record<string, unknown>;
    /** Laid over each step's mock context: a workspace, the user, checkpoints. */
    context?: Partial<ActionContext<any, any>>;
  },
): Promise<ExampleOutputs> {
  const { steps } = parse(example.example) as {
    steps: Array<{ id: string; action: string; input?: object }>;
  };
  const outputs: ExampleOutputs = {};
  for (const step of steps) {
    const action = options.actions.find(a => a.id === step.action);
    if (!action) throw new Error(`No action ${step.action} for ${step.id}`);
    const input = resolve(step.input ?? {}, {
      parameters: options.parameters ?? {},
      steps: Object.fromEntries(
        Object.entries(outputs).map(([id, output]) => [id, { output }]),
      ),
    }) as Record<string, any>;
    const checked = validate(input, action.schema?.input ?? {});
    if (!checked.valid) {
      throw new Error(
        `Step ${step.id} (${step.action}) of "${
          example.description
        }" has input its action refuses: ${checked.errors.join(', ')}`,
      );
    }
    const ctx = {
      ...createMockActionContext({ input }),
      ...options.context,
      input,
    };
    await action.handler(ctx as any);
    outputs[step.id] = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
  }
  return outputs;
}
