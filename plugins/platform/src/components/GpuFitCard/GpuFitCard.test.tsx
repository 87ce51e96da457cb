import { screen } from '@testing-library/react';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import { renderWithPlatform } from '../../__testUtils__/renderWithPlatform';
import { GpuFitCard } from './GpuFitCard';

const llama = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'InferenceDeployment',
  metadata: { name: 'llama-3-1-70b-meridian', namespace: 'default' },
  spec: {
    owner: 'group:meridian-risk-ai',
    cell: 'meridian-dedicated',
    modelProfile: 'llama-3-1-70b-meridian',
    model: {
      name: 'meta-llama/Llama-3.1-70B-Instruct',
      parametersBillions: 70.6,
      precision: 'bf16',
    },
    gpu: { type: 'H100-80GB', count: 4 },
    tensorParallelism: 4,
    maxContextLength: 16384,
    maxConcurrentSequences: 20,
    replicas: { min: 1, max: 2, targetQueueDepth: 8 },
    ...spec,
  },
});

describe('GpuFitCard', () => {
  it("shows what one replica needs of each GPU's memory and the headroom left", async () => {
    await renderWithPlatform(<GpuFitCard />, {
      api: mockPlatformApi(),
      entity: llama(),
    });
    const table = await screen.findByRole('table', { name: 'GPU memory fit' });
    // 70.6B at 2 bytes; Llama 3.1 70B keeps 320 KiB of KV cache per token.
    expect(table).toHaveTextContent('Weights131.5 GiB (70.6B at bf16)');
    expect(table).toHaveTextContent(
      'KV cache100.0 GiB (16,384 tokens × 20 sequences)',
    );
    expect(table).toHaveTextContent('Needed per GPU60.4 GiB');
    expect(table).toHaveTextContent('Usable per GPU72.0 GiB');
    expect(table).toHaveTextContent('Headroom per GPU11.6 GiB');
    expect(table).toHaveTextContent('VerdictFits');
  });

  it('says a hand-edited entity that outgrew its GPUs does not fit, and why', async () => {
    await renderWithPlatform(<GpuFitCard />, {
      api: mockPlatformApi(),
      entity: llama({ maxContextLength: 131072 }),
    });
    expect(
      await screen.findByRole('table', { name: 'GPU memory fit' }),
    ).toHaveTextContent('VerdictDoes not fit');
    expect(screen.getByText(/^Does not fit: needs/)).toBeInTheDocument();
  });

  it('names the field when the entity is not a valid InferenceDeployment', async () => {
    await renderWithPlatform(<GpuFitCard />, {
      api: mockPlatformApi(),
      entity: llama({ gpu: { type: 'H100-80GB', count: 0 } }),
    });
    expect(
      await screen.findByText(/cannot be checked: spec\.gpu\.count/),
    ).toBeInTheDocument();
  });
});
