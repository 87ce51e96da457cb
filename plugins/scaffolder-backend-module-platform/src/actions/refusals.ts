import { TemplateAction } from '@backstage/plugin-scaffolder-node';

/**
 * The same action, whose refusals of its input read as their message alone in the task log.
 * The scaffolder logs a failed step's `error.stack`: for an InputError (the form's answers
 * cannot be planned) or a NotAllowedError (the initiator may not do this) the stack trace is
 * noise that buries what to change. Other errors keep their stack, which is what whoever runs
 * the portal needs to debug them.
 */
export function refusingCleanly<A extends TemplateAction<any, any, any>>(
  action: A,
): A {
  return {
    ...action,
    async handler(ctx: Parameters<A['handler']>[0]) {
      try {
        await action.handler(ctx);
      } catch (error) {
        // Duck-typed: errors of Node's own (fs, child processes) come from another realm
        // than this module's `Error` under some runners.
        const failure = error as Partial<Error> | undefined;
        if (failure && typeof failure.message === 'string') {
          if (['InputError', 'NotAllowedError'].includes(failure.name ?? '')) {
            failure.stack = failure.message;
          } else if (!failure.stack?.includes(failure.message)) {
            // The task log shows only the stack: one without the message says nothing.
            failure.stack = `${failure.name ?? 'Error'}: ${failure.message}\n${
              failure.stack ?? ''
            }`.trimEnd();
          }
        }
        throw error;
      }
    },
  };
}
