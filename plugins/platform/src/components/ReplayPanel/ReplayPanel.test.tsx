import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { ReplayJob, ReplayResult } from '../../api';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  platformEntity,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { RoutingContent } from '../RoutingContent';
import { ReplayPanel } from './ReplayPanel';

// Each test renders a whole app and several tables; the machine is shared.
jest.setTimeout(30_000);

const catalogEntities = [
  platformEntity('Agent', 'checkout-assistant', {
    tenant: 'tenant:default/northwind-retail',
    cell: 'cell:default/eu-west-shared-1',
  }),
  platformEntity('Agent', 'homework-helper', {
    tenant: 'tenant:default/brightpath-edu',
    cell: 'cell:default/eu-west-shared-1',
  }),
  platformEntity('Agent', 'fraud-triage', {
    tenant: 'tenant:default/meridian-bank',
    cell: 'cell:default/meridian-dedicated',
  }),
  platformEntity('Tenant', 'northwind-retail', {
    modelAllowlist: [
      'modelprofile:default/azure-gpt-4o-eu',
      'azure-gpt-4o-mini-eu',
    ],
  }),
  platformEntity('Tenant', 'brightpath-edu', {
    modelAllowlist: ['llama-3-1-70b-eu'],
  }),
  ...['azure-gpt-4o-eu', 'azure-gpt-4o-mini-eu', 'llama-3-1-70b-eu'].map(name =>
    platformEntity('ModelProfile', name, {
      pricing: { inputPerMillionUsd: 2.5, outputPerMillionUsd: 10 },
    }),
  ),
];

const result: ReplayResult = {
  scope: {
    cell: 'eu-west-shared-1',
    agent: 'checkout-assistant',
    from: '2026-11-16T00:00:00.000Z',
    to: '2026-11-23T00:00:00.000Z',
  },
  change: { agents: { 'checkout-assistant': { policy: 'cost' } } },
  stateVersions: { current: 'aaaa', proposed: 'bbbb' },
  decisions: {
    read: 1210,
    replayed: 1200,
    notRouted: 10,
    truncated: false,
    featuresMissing: { decisions: 0, byFeature: {} },
  },
  cost: {
    recordedUsd: 12.4,
    proposedUsd: 1.86,
    deltaUsd: -10.54,
    withoutUsage: 0,
    byAgent: [
      {
        agent: 'checkout-assistant',
        decisions: 1200,
        recordedUsd: 12.4,
        proposedUsd: 1.86,
        deltaUsd: -10.54,
      },
    ],
  },
  qualityTiers: {
    recorded: { frontier: 900, economy: 300 },
    proposed: { economy: 1140, refused: 60 },
  },
  refusals: {
    recorded: [],
    proposed: [
      {
        reason: 'circuit-open',
        code: 'upstream_unavailable',
        count: 60,
        example: 'every candidate circuit is open',
      },
    ],
  },
  changedRoutes: {
    count: 900,
    byChange: 898,
    regardless: 2,
    sample: [
      {
        decisionId: 'req-000042-rd',
        timestamp: '2026-11-20T10:15:00.000Z',
        tenant: 'northwind-retail',
        agent: 'checkout-assistant',
        recorded: 'azure-gpt-4o-eu',
        proposed: 'azure-gpt-4o-mini-eu',
        recordedCostUsd: 0.012,
        proposedCostUsd: 0.0007,
        proposedCandidates: [
          { modelProfile: 'azure-gpt-4o-mini-eu', kept: true, rank: 0 },
          { modelProfile: 'azure-gpt-4o-eu', kept: true, rank: 1 },
          {
            modelProfile: 'llama-3-1-70b-eu',
            kept: false,
            dropReason: 'allowlist',
          },
        ],
        cause: 'change',
      },
    ],
  },
  latency: {
    observed: [
      {
        modelProfile: 'azure-gpt-4o-eu',
        requests: 900,
        meanUpstreamMs: 812.5,
      },
    ],
    recordedMeanMs: 790,
    proposedMeanMs: 420,
    unobservedRoutes: 0,
  },
  caveats: [
    'Outputs would differ: another model answers differently, in content, length and quality; the replay re-derives routes, not answers.',
    "Token counts are the recorded ones, priced at the proposed route's prices; another model's tokenizer and answer would count differently.",
  ],
  warnings: [],
  elapsedMs: 140,
};

const job = (overrides: Partial<ReplayJob>): ReplayJob => ({
  id: 'job-1',
  state: 'running',
  createdAt: '2026-11-23T00:00:00.000Z',
  scope: result.scope,
  progress: { decisions: 0 },
  ...overrides,
});

const pick = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('ReplayPanel', () => {
  it("replays an agent's policy change, shows progress, then the figures against what happened", async () => {
    // The job runs until the test has read its progress.
    let finished = false;
    const api = mockPlatformApi({
      startReplay: jest.fn(async () => job({})),
      getReplay: jest.fn(async () =>
        finished
          ? job({ state: 'done', progress: { decisions: 1210 }, result })
          : job({
              progress: {
                decisions: 5000,
                through: '2026-11-19T12:00:00.000Z',
              },
            }),
      ),
    });
    await renderWithPlatform(
      <ReplayPanel scope={{ agent: 'checkout-assistant' }} pollMs={20} />,
      { api, catalogEntities, search: '?range=7d' },
    );
    await screen.findByLabelText('Agent');
    pick('Policy', 'cost');
    fireEvent.click(screen.getByRole('button', { name: 'Replay' }));

    await screen.findByText(
      'Replaying… 5,000 decisions read, through 2026-11-19 12:00:00 UTC',
    );
    expect(api.startReplay).toHaveBeenCalledWith({
      agent: 'checkout-assistant',
      from: expect.any(String),
      to: expect.any(String),
      change: { agents: { 'checkout-assistant': { policy: 'cost' } } },
    });
    const { from, to } = api.startReplay.mock.calls[0][0];
    expect(Date.parse(to) - Date.parse(from)).toBe(7 * 86_400_000);
    finished = true;

    await screen.findByText('Done: 1,210 decisions read.');
    const totals = screen.getByRole('table', { name: 'Replay totals' });
    const row = (table: HTMLElement, name: string) =>
      within(table).getByRole('row', { name: new RegExp(`^${name}`) })
        .textContent;
    expect(row(totals, 'Cost as it happened')).toBe(
      'Cost as it happened$12.40',
    );
    expect(row(totals, 'Cost under the change')).toBe(
      'Cost under the change$1.86',
    );
    expect(row(totals, 'Change')).toBe('Change−$10.54');

    const byAgent = screen.getByRole('table', { name: 'Cost by agent' });
    expect(row(byAgent, 'checkout-assistant')).toBe(
      'checkout-assistant1,200$12.40$1.86−$10.54',
    );
    const tiers = screen.getByRole('table', { name: 'Quality tier mix' });
    expect(row(tiers, 'frontier')).toBe('frontier900 (75.00%)0 (0.00%)');
    expect(row(tiers, 'economy')).toBe('economy300 (25.00%)1,140 (95.00%)');
    expect(row(tiers, 'refused')).toBe('refused0 (0.00%)60 (5.00%)');
    const refusals = screen.getByRole('table', { name: 'Refusals' });
    expect(row(refusals, 'circuit-open')).toBe(
      'circuit-openupstream_unavailable60every candidate circuit is open',
    );
    expect(
      screen.getByText(/900 routes change \(898 by the change, 2 regardless/),
    ).toBeInTheDocument();
    const latency = screen.getByRole('table', { name: 'Latency expectation' });
    expect(row(latency, 'Mean upstream latency as it happened')).toBe(
      'Mean upstream latency as it happened790 ms',
    );
    expect(row(latency, 'Expected under the change')).toBe(
      'Expected under the change420 ms',
    );
    expect(row(latency, 'Observed azure-gpt-4o-eu')).toBe(
      'Observed azure-gpt-4o-eu813 ms over 900 requests',
    );
    expect(
      within(screen.getByRole('list', { name: 'Caveats' })).getByText(
        /Outputs would differ/,
      ),
    ).toBeInTheDocument();

    // A changed route opens the decision drawer on that decision, beside what the replay
    // made of it.
    const changed = screen.getByRole('table', { name: 'Changed routes' });
    expect(row(changed, 'req-000042-rd')).toBe(
      'req-000042-rd2026-11-20 10:15:00checkout-assistantazure-gpt-4o-euazure-gpt-4o-mini-euazure-gpt-4o-mini-eu #1; azure-gpt-4o-eu #2; llama-3-1-70b-eu: allowlistthe change',
    );
    fireEvent.click(
      within(changed).getByRole('button', { name: 'req-000042-rd' }),
    );
    await waitFor(() =>
      expect(api.getDecision).toHaveBeenCalledWith('req-000042-rd'),
    );
    expect(
      await screen.findByRole('region', { name: 'Routing decision' }),
    ).toBeInTheDocument();
    expect(
      await screen.findByRole('region', { name: 'As it happened' }),
    ).toBeInTheDocument();
    const replayed = screen.getByRole('region', {
      name: 'Under the proposed change',
    });
    const facts = within(replayed).getByRole('table', {
      name: 'Under the proposed change',
    });
    expect(row(facts, 'Chosen route')).toBe('Chosen routeazure-gpt-4o-mini-eu');
    expect(row(facts, 'As it happened')).toBe('As it happenedazure-gpt-4o-eu');
    expect(row(facts, 'Cost of the recorded tokens')).toBe(
      'Cost of the recorded tokens$0.0007 ($0.01 as it happened)',
    );
    expect(row(facts, 'Why it differs')).toBe('Why it differsthe change');
    const candidates = within(replayed).getByRole('table', {
      name: 'Candidates under the proposed change',
    });
    expect(row(candidates, 'llama-3-1-70b-eu')).toBe(
      'llama-3-1-70b-eudroppedallowlist—',
    );
    expect(row(candidates, 'azure-gpt-4o-mini-eu')).toBe(
      'azure-gpt-4o-mini-eukept—1',
    );
  });

  it('proposes a profile down, new prices and a narrower allowlist, by name', async () => {
    const api = mockPlatformApi({
      startReplay: jest.fn(async () => job({ state: 'cancelled' })),
    });
    await renderWithPlatform(
      <ReplayPanel scope={{ cell: 'eu-west-shared-1' }} pollMs={20} />,
      { api, catalogEntities },
    );
    // The cell's agents only.
    const agents = await screen.findByLabelText('Agent');
    expect(
      within(agents)
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual(['Pick an agent', 'checkout-assistant', 'homework-helper']);
    const replay = screen.getByRole('button', { name: 'Replay' });
    expect(replay).toBeDisabled();
    // The option and the hint beside the disabled button.
    expect(screen.getAllByText('Pick an agent')).toHaveLength(2);

    pick('What if…', 'down');
    pick('Model profile', 'llama-3-1-70b-eu');
    fireEvent.click(replay);
    await waitFor(() => expect(api.startReplay).toHaveBeenCalledTimes(1));
    expect(api.startReplay.mock.calls[0][0]).toMatchObject({
      cell: 'eu-west-shared-1',
      change: { modelProfiles: { 'llama-3-1-70b-eu': { down: true } } },
    });

    pick('What if…', 'prices');
    pick('Model profile', 'azure-gpt-4o-eu');
    expect(screen.getByLabelText('Input $ per million tokens')).toHaveAttribute(
      'placeholder',
      'now 2.5',
    );
    pick('Input $ per million tokens', '-1');
    expect(
      screen.getByText('Prices are dollars per million tokens, 0 or more'),
    ).toBeInTheDocument();
    pick('Input $ per million tokens', '1.25');
    pick('Output $ per million tokens', '5');
    fireEvent.click(screen.getByRole('button', { name: 'Replay' }));
    await waitFor(() => expect(api.startReplay).toHaveBeenCalledTimes(2));
    expect(api.startReplay.mock.calls[1][0].change).toEqual({
      modelProfiles: {
        'azure-gpt-4o-eu': { inputPerMillionUsd: 1.25, outputPerMillionUsd: 5 },
      },
    });

    pick('What if…', 'allowlist');
    pick('Tenant', 'northwind-retail');
    pick('Model profile', 'azure-gpt-4o-eu');
    fireEvent.click(screen.getByRole('button', { name: 'Replay' }));
    await waitFor(() => expect(api.startReplay).toHaveBeenCalledTimes(3));
    expect(api.startReplay.mock.calls[2][0].change).toEqual({
      tenants: {
        'northwind-retail': { allowedModels: ['azure-gpt-4o-mini-eu'] },
      },
    });
    expect(
      await screen.findByText('Cancelled after 0 decisions read.'),
    ).toBeInTheDocument();
  });

  it('cancels a running replay, and shows the backend refusing a request', async () => {
    const api = mockPlatformApi({
      startReplay: jest
        .fn()
        .mockResolvedValueOnce(job({ progress: { decisions: 10000 } }))
        .mockRejectedValueOnce(
          Object.assign(
            new Error('Invalid body: to: a replay covers at most 31 days'),
            { status: 400 },
          ),
        ),
      getReplay: jest.fn(async () => job({ progress: { decisions: 10000 } })),
      cancelReplay: jest.fn(async () =>
        job({ state: 'cancelled', progress: { decisions: 15000 } }),
      ),
    });
    await renderWithPlatform(
      <ReplayPanel scope={{ agent: 'checkout-assistant' }} pollMs={20} />,
      { api, catalogEntities },
    );
    await screen.findByLabelText('Agent');
    fireEvent.click(screen.getByRole('button', { name: 'Replay' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(api.cancelReplay).toHaveBeenCalled());
    expect(
      await screen.findByText('Cancelled after 15,000 decisions read.'),
    ).toBeInTheDocument();
    expect(api.cancelReplay).toHaveBeenCalledWith('job-1');
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Replay' }));
    expect(
      await screen.findByText(
        'Invalid body: to: a replay covers at most 31 days',
      ),
    ).toBeInTheDocument();
  });

  it("sits on a cell's and an agent's Routing tab, not a tenant's", async () => {
    for (const [kind, shown] of [
      ['Cell', true],
      ['Agent', true],
      ['Tenant', false],
    ] as const) {
      const { unmount } = await renderWithPlatform(<RoutingContent />, {
        api: mockPlatformApi(),
        catalogEntities,
        entity: platformEntity(kind, 'x', {}),
      });
      await screen.findByText('Routing decisions');
      expect(screen.queryAllByText('What if…').length > 0).toBe(shown);
      unmount();
    }
  });
});
