import { screen, waitFor } from '@testing-library/react';
import { budgetReport, gpuReport } from '../__testUtils__/fixtures';
import { mockPlatformApi, sloStatus } from '../__testUtils__/mockPlatformApi';
import {
  platformEntity,
  renderWithPlatform,
} from '../__testUtils__/renderWithPlatform';
import { AgentDashboard } from './AgentDashboard';
import { CellCostContent } from './CellCostContent';
import { CellDashboard } from './CellDashboard';
import { InferenceDeploymentCostCard } from './InferenceDeploymentCostCard';
import { ModelProfileTrafficCard } from './ModelProfileTrafficCard';
import { RoutingContent } from './RoutingContent';
import { TenantDashboard } from './TenantDashboard';

const withSlos = () =>
  mockPlatformApi({
    getSloReport: jest.fn(async () => ({
      scope: { kind: 'cell' as const, name: 'x' },
      objectives: [sloStatus()],
    })),
  });

describe('entity pages', () => {
  it('Cell dashboard: SLO cards, a time range picker and the runtime, scoped to the cell', async () => {
    const api = withSlos();
    await renderWithPlatform(<CellDashboard />, {
      api,
      entity: platformEntity('Cell', 'meridian-dedicated', {}),
    });
    expect(await screen.findByText('gateway-availability')).toBeInTheDocument();
    expect(screen.getByLabelText('Time range')).toBeInTheDocument();
    expect(api.getSloReport).toHaveBeenCalledWith({
      cell: 'meridian-dedicated',
    });
    expect(api.getCellRuntime).toHaveBeenCalledWith('meridian-dedicated');
    expect(api.getDeployPlan).toHaveBeenCalledWith(
      'cell:default/meridian-dedicated',
    );
    expect(screen.getByText('Blast radius')).toBeInTheDocument();
  });

  it('Cell cost: budgets of the tenants it hosts', async () => {
    const api = mockPlatformApi({
      getTenantBudget: jest.fn(async () => budgetReport),
      getGpuCost: jest.fn(async () => gpuReport),
    });
    await renderWithPlatform(<CellCostContent />, {
      api,
      entity: platformEntity('Cell', 'meridian-dedicated', {}, [
        { type: 'hosts', targetRef: 'tenant:default/meridian-bank' },
        { type: 'hosts', targetRef: 'agent:default/fraud-triage' },
      ]),
    });
    expect(
      await screen.findByRole('group', { name: 'meridian-bank budget' }),
    ).toBeInTheDocument();
    expect(api.getTenantBudget).toHaveBeenCalledTimes(1);
    expect(api.getTenantBudget).toHaveBeenCalledWith('meridian-bank');
  });

  it('Routing: the explorer scoped to the entity', async () => {
    const api = mockPlatformApi();
    await renderWithPlatform(<RoutingContent />, {
      api,
      entity: platformEntity('Tenant', 'northwind', {}),
    });
    await waitFor(() => expect(api.listDecisions).toHaveBeenCalled());
    expect(api.listDecisions.mock.calls[0][1]).toMatchObject({
      tenant: 'northwind',
    });
  });

  it('Agent dashboard: SLOs and cost against the run budget', async () => {
    const api = withSlos();
    api.getTenantBudget.mockResolvedValue(budgetReport);
    await renderWithPlatform(<AgentDashboard />, {
      api,
      entity: platformEntity('Agent', 'fraud-triage', {
        tenant: 'tenant:default/meridian-bank',
      }),
    });
    const budget = await screen.findByRole('table', { name: 'Agent budget' });
    expect(budget).toHaveTextContent('$1,500 (80.0% used)');
    expect(budget).toHaveTextContent('$0.05 (limit $0.10 per run)');
    expect(api.getSloReport).toHaveBeenCalledWith({ agent: 'fraud-triage' });
    expect(api.getTenantBudget).toHaveBeenCalledWith('meridian-bank');
  });

  it('Tenant dashboard: budget, cells and agents', async () => {
    const api = mockPlatformApi({
      getTenantBudget: jest.fn(async () => budgetReport),
    });
    await renderWithPlatform(<TenantDashboard />, {
      api,
      entity: platformEntity('Tenant', 'meridian-bank', {}, [
        { type: 'hostedBy', targetRef: 'cell:default/meridian-dedicated' },
        { type: 'hasPart', targetRef: 'agent:default/fraud-triage' },
      ]),
    });
    const resources = screen.getByRole('table', { name: 'Cells and agents' });
    expect(resources).toHaveTextContent('meridian-dedicated');
    expect(resources).toHaveTextContent('fraud-triage');
    expect(
      await screen.findByRole('group', { name: 'meridian-bank budget' }),
    ).toBeInTheDocument();
  });

  it('ModelProfile: traffic share and error rate', async () => {
    const group = (key: string, requests: number, costUsd: number) => ({
      key,
      requests,
      costUsd,
      inputTokens: 100,
      outputTokens: 10,
    });
    const api = mockPlatformApi({
      getCostBreakdown: jest.fn(async () => ({
        from: '',
        to: '',
        groupBy: 'model_profile' as const,
        granularity: 'day' as const,
        totalUsd: 4,
        series: [],
        groups: [group('gpt-4o-mini', 30, 1), group('gpt-4o', 70, 3)],
      })),
      listDecisions: jest.fn(async () => ({
        items: [{ outcome: 'error' }, { outcome: 'success' }] as any,
      })),
    });
    await renderWithPlatform(<ModelProfileTrafficCard />, {
      api,
      entity: platformEntity('ModelProfile', 'gpt-4o-mini', {}),
    });
    const table = await screen.findByRole('table', { name: 'Model traffic' });
    expect(table).toHaveTextContent('30 (30.0% of all traffic)');
    expect(table).toHaveTextContent('$1.00 (25.0% of all)');
    expect(table).toHaveTextContent('50.0% of the latest 2 routing decisions');
    expect(api.listDecisions.mock.calls[0][1]).toEqual({
      model: 'gpt-4o-mini',
    });
  });

  it('ModelProfile: no traffic yet', async () => {
    await renderWithPlatform(<ModelProfileTrafficCard />, {
      api: mockPlatformApi(),
      entity: platformEntity('ModelProfile', 'gpt-4o-mini', {}),
    });
    expect(
      await screen.findByText(/No traffic yet in this range/),
    ).toBeInTheDocument();
  });

  it('InferenceDeployment: its GPU cost, from its cell', async () => {
    const api = mockPlatformApi({ getGpuCost: jest.fn(async () => gpuReport) });
    await renderWithPlatform(<InferenceDeploymentCostCard />, {
      api,
      entity: platformEntity('InferenceDeployment', 'llama-3-1-70b-meridian', {
        cell: 'meridian-dedicated',
      }),
    });
    expect(
      await screen.findByText('4 × NVIDIA H100 80 GB'),
    ).toBeInTheDocument();
    expect(api.getGpuCost).toHaveBeenCalledWith(
      expect.anything(),
      'meridian-dedicated',
    );
  });
});
