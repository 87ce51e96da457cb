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
        if (
          error instanceof Error &&
          ['InputError', 'NotAllowedError'].includes(error.name)
        ) {
          error.stack = error.message;
        }
        throw error;
      }
    },
  };
}
