import { fireEvent, screen, waitFor } from '@testing-library/react';
import { DecisionDetail, DecisionListItem } from '../../api';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import { renderWithPlatform } from '../../__testUtils__/renderWithPlatform';
import { DecisionsTable } from './DecisionsTable';

const item: DecisionListItem = {
  id: 'req-00000001-rd',
  requestId: 'req-00000001',
  timestamp: '2026-11-23T07:45:53.595Z',
  cell: 'meridian-dedicated',
  tenant: 'meridian-bank',
  agent: 'fraud-triage',
  requestedModel: 'auto',
  chosen: 'azure-gpt-4o-us',
  policy: 'quality',
  outcome: 'success',
  fellBack: true,
  dropReasons: ['residency'],
  routerDecisionMs: 0.05,
  stateVersion: '8d005bbd60c8095933a1',
  demo: false,
};

const detail: DecisionDetail = {
  demo: false,
  decision: {
    id: item.id,
    schemaVersion: 1,
    requestId: item.requestId,
    timestamp: item.timestamp,
    gateway: 'gw-1',
    cell: item.cell,
    tenant: item.tenant,
    agent: item.agent,
    stateVersion: item.stateVersion,
    type: 'routing-decision',
    requestedModel: 'auto',
    policy: 'quality',
    complexityScore: 0.7,
    requiredCapabilities: ['tools'],
    estimatedInputTokens: 1200,
    candidates: [
      {
        modelProfile: 'gpt-4o-eu',
        kept: false,
        dropReason: 'residency',
        detail: 'region eu-west-1 outside pinned us-east-1',
      },
      { modelProfile: 'llama-3-1-70b-meridian', kept: true, rank: 0 },
      { modelProfile: 'azure-gpt-4o-us', kept: true, rank: 1 },
    ],
    chosen: 'azure-gpt-4o-us',
    fallbacks: [
      {
        modelProfile: 'llama-3-1-70b-meridian',
        errorClass: 'upstream-timeout',
        status: 504,
        latencyMs: 3000,
      },
    ],
    routerDecisionMs: 0.05,
    outcome: 'success',
  },
  usage: {
    id: 'req-00000001-us',
    schemaVersion: 1,
    requestId: item.requestId,
    timestamp: item.timestamp,
    gateway: 'gw-1',
    cell: item.cell,
    tenant: item.tenant,
    stateVersion: item.stateVersion,
    type: 'usage',
    modelProfile: 'azure-gpt-4o-us',
    provider: 'azure-openai',
    stream: false,
    inputTokens: 1180,
    outputTokens: 240,
    tokensEstimated: false,
    costUsd: 0.0053,
    cached: false,
    gatewayOverheadMs: 4.2,
    totalLatencyMs: 4210,
    status: 200,
    outcome: 'success',
  },
};

describe('DecisionsTable', () => {
  it('says there is no traffic yet in this range', async () => {
    await renderWithPlatform(<DecisionsTable scope={{ cell: 'c' }} />, {
      api: mockPlatformApi(),
    });
    expect(
      await screen.findByText(/No traffic yet in this range/),
    ).toBeInTheDocument();
  });

  it('passes the URL filters and range to the API', async () => {
    const api = mockPlatformApi();
    await renderWithPlatform(<DecisionsTable scope={{ cell: 'c' }} />, {
      api,
      search: '?range=1h&outcome=error&fellBack=true&droppedFor=budget',
    });
    await waitFor(() => expect(api.listDecisions).toHaveBeenCalled());
    const [range, filters] = api.listDecisions.mock.calls[0];
    expect(Date.parse(range.to) - Date.parse(range.from)).toBe(3600_000);
    expect(filters).toEqual({
      cell: 'c',
      outcome: 'error',
      fellBack: true,
      droppedFor: 'budget',
      model: undefined,
    });
    expect(screen.getByLabelText('Outcome')).toHaveValue('error');
  });

  it('opens a decision in a drawer with candidates, fallbacks and usage', async () => {
    const api = mockPlatformApi({
      listDecisions: jest.fn(async () => ({ items: [item] })),
      getDecision: jest.fn(async () => detail),
    });
    await renderWithPlatform(<DecisionsTable scope={{ cell: 'c' }} />, {
      api,
    });
    fireEvent.click(await screen.findByText('meridian-bank'));
    const drawer = await screen.findByRole('region', {
      name: 'Routing decision',
    });
    expect(api.getDecision).toHaveBeenCalledWith('req-00000001-rd');
    expect(screen.getByLabelText('location')).toHaveTextContent(
      'decision=req-00000001-rd',
    );
    const candidates = await screen.findByRole('table', { name: 'Candidates' });
    expect(candidates).toHaveTextContent(
      'residency: region eu-west-1 outside pinned us-east-1',
    );
    expect(drawer).toHaveTextContent(
      'upstream-timeout (HTTP 504) after 3.00 s',
    );
    expect(drawer).toHaveTextContent('1,180 tokens in, 240 tokens out');
    expect(drawer).toHaveTextContent('$0.0053');
    expect(drawer).toHaveTextContent('8d005bbd60c8095933a1');
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    await waitFor(() =>
      expect(screen.getByLabelText('location')).not.toHaveTextContent(
        'decision=',
      ),
    );
  });

  it('loads older pages with the cursor', async () => {
    const api = mockPlatformApi({
      listDecisions: jest.fn(async (_r, _f, page) =>
        page?.cursor
          ? { items: [{ ...item, id: 'older-1', tenant: 'older-tenant' }] }
          : { items: [item], nextCursor: 'next' },
      ),
    });
    await renderWithPlatform(<DecisionsTable scope={{ cell: 'c' }} />, {
      api,
    });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Load older decisions' }),
    );
    expect(await screen.findByText('older-tenant')).toBeInTheDocument();
    expect(screen.getByText('meridian-bank')).toBeInTheDocument();
  });

  it('shows the error', async () => {
    await renderWithPlatform(<DecisionsTable scope={{ cell: 'c' }} />, {
      api: mockPlatformApi({
        listDecisions: jest.fn(async () => {
          throw new Error('400 Invalid query: outcome');
        }),
      }),
    });
    expect(
      (await screen.findAllByText(/400 Invalid query: outcome/)).length,
    ).toBeGreaterThan(0);
  });
});
