/**
 * Open-weight models the platform knows how to serve with vLLM, with what the GPU fit check
 * needs: parameter count and the attention shape that sizes the KV cache.
 */
export interface KnownModel {
  /** Repository id, as vLLM loads it. */
  name: string;
  displayName: string;
  parametersBillions: number;
  layers: number;
  kvHeads: number;
  headDim: number;
  /** The context length the model was trained for. */
  defaultContextLength: number;
}

export const KNOWN_MODELS: KnownModel[] = [
  {
    name: 'meta-llama/Llama-3.1-8B-Instruct',
    displayName: 'Llama 3.1 8B Instruct',
    parametersBillions: 8.03,
    layers: 32,
    kvHeads: 8,
    headDim: 128,
    defaultContextLength: 131072,
  },
  {
    name: 'meta-llama/Llama-3.1-70B-Instruct',
    displayName: 'Llama 3.1 70B Instruct',
    parametersBillions: 70.6,
    layers: 80,
    kvHeads: 8,
    headDim: 128,
    defaultContextLength: 131072,
  },
  {
    name: 'meta-llama/Llama-3.3-70B-Instruct',
    displayName: 'Llama 3.3 70B Instruct',
    parametersBillions: 70.6,
    layers: 80,
    kvHeads: 8,
    headDim: 128,
    defaultContextLength: 131072,
  },
  {
    name: 'Qwen/Qwen2.5-7B-Instruct',
    displayName: 'Qwen2.5 7B Instruct',
    parametersBillions: 7.62,
    layers: 28,
    kvHeads: 4,
    headDim: 128,
    defaultContextLength: 32768,
  },
  {
    name: 'Qwen/Qwen2.5-32B-Instruct',
    displayName: 'Qwen2.5 32B Instruct',
    parametersBillions: 32.8,
    layers: 64,
    kvHeads: 8,
    headDim: 128,
    defaultContextLength: 32768,
  },
  {
    name: 'Qwen/Qwen2.5-72B-Instruct',
    displayName: 'Qwen2.5 72B Instruct',
    parametersBillions: 72.7,
    layers: 80,
    kvHeads: 8,
    headDim: 128,
    defaultContextLength: 32768,
  },
  {
    name: 'mistralai/Mistral-7B-Instruct-v0.3',
    displayName: 'Mistral 7B Instruct v0.3',
    parametersBillions: 7.25,
    layers: 32,
    kvHeads: 8,
    headDim: 128,
    defaultContextLength: 32768,
  },
  {
    name: 'mistralai/Mixtral-8x7B-Instruct-v0.1',
    displayName: 'Mixtral 8x7B Instruct',
    parametersBillions: 46.7,
    layers: 32,
    kvHeads: 8,
    headDim: 128,
    defaultContextLength: 32768,
  },
  {
    name: 'google/gemma-2-27b-it',
    displayName: 'Gemma 2 27B',
    parametersBillions: 27.2,
    layers: 46,
    kvHeads: 16,
    headDim: 128,
    defaultContextLength: 8192,
  },
];

export function findKnownModel(name: string): KnownModel | undefined {
  return KNOWN_MODELS.find(m => m.name.toLowerCase() === name.toLowerCase());
}
