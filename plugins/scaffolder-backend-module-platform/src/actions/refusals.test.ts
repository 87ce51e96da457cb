import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { refusingCleanly } from './refusals';

function failingWith(error: Error) {
  return refusingCleanly(
    createTemplateAction({
      id: 'test:fail',
      schema: { input: {} },
      async handler() {
        throw error;
      },
    }),
  );
}

/** What the scaffolder writes into the task log for a failed step: `String(err.stack)`. */
async function taskLogOf(action: ReturnType<typeof failingWith>) {
  const error = await action.handler(createMockActionContext() as any).then(
    () => undefined,
    (e: Error) => e,
  );
  return String(error?.stack);
}

describe('refusingCleanly', () => {
  it("logs a refusal of the user's input as its message, without a stack trace", async () => {
    const log = await taskLogOf(
      failingWith(new InputError('cell meridian-dedicated has 8 GPUs')),
    );
    expect(log).toBe('cell meridian-dedicated has 8 GPUs');
  });

  it('keeps the stack of anything else, for whoever debugs the portal', async () => {
    const log = await taskLogOf(failingWith(new TypeError('x is undefined')));
    expect(log).toMatch(/^TypeError: x is undefined\n\s+at /);
  });

  it('says the message of an error whose stack lost it (seen under the full test run)', async () => {
    const error = new Error(
      "EEXIST: file already exists, mkdir '/repos/tenant-x'",
    );
    error.stack = '';
    const log = await taskLogOf(failingWith(error));
    expect(log).toBe(
      "Error: EEXIST: file already exists, mkdir '/repos/tenant-x'",
    );
  });
});
