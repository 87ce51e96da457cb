import { screen } from '@testing-library/react';
import { gpuReport } from '../../__testUtils__/fixtures';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { GpuCostCard } from './GpuCostCard';

describe('GpuCostCard', () => {
  it('shows loading', async () => {
    await renderWithPlatform(<GpuCostCard cell="c" />, {
      api: mockPlatformApi({ getGpuCost: jest.fn(() => pending()) }),
    });
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows GPUs, GPU-hours, cost and idle share of one deployment', async () => {
    const api = mockPlatformApi({ getGpuCost: jest.fn(async () => gpuReport) });
    await renderWithPlatform(
      <GpuCostCard
        cell="meridian-dedicated"
        deployment="llama-3-1-70b-meridian"
      />,
      { api },
    );
    const row = await screen.findByRole('table', { name: 'GPU cost' });
    expect(row).toHaveTextContent(
      '96 h (pods seen for 75% of the range, catalog minimum since its first apply for the rest)',
    );
    expect(row).toHaveTextContent('$384.00 ($4.00/GPU-h)');
    expect(row).toHaveTextContent('$96.00 (25%)');
    expect(row).toHaveTextContent('meridian-bank 100%');
    expect(screen.queryByText('other')).not.toBeInTheDocument();
    expect(api.getGpuCost).toHaveBeenCalledWith(
      expect.anything(),
      'meridian-dedicated',
    );
  });

  it('says what each figure rests on', async () => {
    const [seen, applied] = gpuReport.deployments;
    const never = { ...applied, gpuHoursSource: 'not-applied' as const };
    const api = mockPlatformApi({
      getGpuCost: jest.fn(async () => ({
        ...gpuReport,
        deployments: [
          { ...seen, gpuHoursSource: 'observed' as const },
          applied,
          never,
        ],
      })),
    });
    await renderWithPlatform(<GpuCostCard cell="meridian-dedicated" />, {
      api,
    });
    expect(
      await screen.findByText(/pods seen in the cluster/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/catalog minimum replicas since its first apply/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/never applied, so not charged/),
    ).toBeInTheDocument();
  });

  it('says what to do without GPU deployments', async () => {
    await renderWithPlatform(<GpuCostCard cell="c" />, {
      api: mockPlatformApi(),
    });
    expect(
      await screen.findByText(/No inference deployments on GPUs here/),
    ).toBeInTheDocument();
  });

  it('shows the error', async () => {
    await renderWithPlatform(<GpuCostCard cell="c" />, {
      api: mockPlatformApi({
        getGpuCost: jest.fn(async () => {
          throw new Error('500 boom');
        }),
      }),
    });
    expect((await screen.findAllByText(/500 boom/)).length).toBeGreaterThan(0);
  });
});
