import { findKnownModel } from './knownModels';

export interface ContextLengthCheck {
  /** `unchecked`: the model's maximum is unknown, so nothing could be compared. */
  verdict: 'ok' | 'too-long' | 'unchecked';
  /** The model's maximum context length, when known. */
  modelMaxContextLength?: number;
  message: string;
}

const tokens = (n: number) => `${n.toLocaleString('en-US')} tokens`;

/**
 * Whether a deployment's `maxContextLength` is within what its model was trained for: vLLM
 * refuses to start a model with a longer one. A known model brings its own maximum; for any
 * other the caller may give it (`modelMaxContextLength`), or the check says what it could not
 * check.
 */
export function checkContextLength(options: {
  model: string;
  maxContextLength: number;
  modelMaxContextLength?: number;
}): ContextLengthCheck {
  const known = findKnownModel(options.model);
  const max = known?.defaultContextLength ?? options.modelMaxContextLength;
  const asked = tokens(options.maxContextLength);
  if (max === undefined) {
    return {
      verdict: 'unchecked',
      message: `The max context of ${asked} is not checked: ${options.model} is not a known model and its maximum context length was not given.`,
    };
  }
  const name = known?.displayName ?? options.model;
  if (options.maxContextLength > max) {
    return {
      verdict: 'too-long',
      modelMaxContextLength: max,
      message: `maxContextLength: ${asked} is more than ${name} supports (${tokens(
        max,
      )}): lower it to ${max.toLocaleString('en-US')} or less.`,
    };
  }
  return {
    verdict: 'ok',
    modelMaxContextLength: max,
    message: `The max context of ${asked} is within ${name}'s ${tokens(max)}.`,
  };
}
