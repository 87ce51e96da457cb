import { screen, within } from '@testing-library/react';
import type { RecommendationList } from '@cellport/plugin-platform-common';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  platformEntity,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { RecommendationsContent } from './RecommendationsContent';

jest.setTimeout(30_000);

const list: RecommendationList = {
  scope: {
    tenant: 'northwind-retail',
    from: '2026-11-13T00:00:00.000Z',
    to: '2026-11-20T00:00:00.000Z',
  },
  recommendations: [
    {
      rank: 1,
      agent: 'checkout-assistant',
      tenant: 'northwind-retail',
      cell: 'eu-west-shared-1',
      change: {
        kind: 'policy',
        summary: 'policy balanced → cost',
        policy: 'cost',
      },
      savingUsd: 2.07834,
      monthlySavingUsd: 8.907171,
      evidence: {
        from: '2026-11-13T00:00:00.000Z',
        to: '2026-11-20T00:00:00.000Z',
        decisionsReplayed: 1008,
        recordedUsd: 5.544,
        currentUsd: 2.41098,
        proposedUsd: 0.33264,
        bothServe: { decisions: 1000, currentUsd: 2.4, proposedUsd: 0.32 },
        withoutUsage: 0,
        truncated: false,
        measuredDays: 7,
        monthlyFactor: 4.286,
      },
      risk: {
        level: 'medium',
        newRefusals: 0,
        refusals: [],
        qualityTiers: {
          current: { economy: 606, frontier: 402 },
          proposed: { economy: 1008 },
        },
        lowerTier: 402,
        changedRoutes: 402,
        sampleDecisionIds: ['dec-1'],
        latency: { currentMeanMs: 640 },
        notes: [
          'At least 402 of 1008 requests would be served from a lower quality tier.',
          '402 of 1008 routes change from what happened.',
        ],
      },
    },
  ],
  skipped: [
    {
      agent: 'checkout-assistant',
      change: 'prefer azure-gpt-4o-eu only',
      reason: 'no saving: $5.544 replayed against $2.41098',
    },
  ],
  excludedProfiles: [],
  agentsWithoutDecisions: ['catalog-enricher'],
  agentsNotEvaluated: [],
  replays: 4,
  notes: [
    'Savings are measured over the replayed range (7 days) and scaled to 30 days (×4.29).',
  ],
  caveats: [],
  elapsedMs: 120,
};

describe('RecommendationsCard', () => {
  it("reads a tenant's recommendations: rank, agent, change, monthly saving, evidence and risk, and links each to its proposal", async () => {
    const api = mockPlatformApi({
      listRecommendations: jest.fn(async () => list),
    });
    await renderWithPlatform(<RecommendationsContent />, {
      api,
      entity: platformEntity('Tenant', 'northwind-retail', {}),
    });
    const table = await screen.findByRole('table', { name: 'Recommendations' });
    expect(api.listRecommendations).toHaveBeenCalledWith({
      tenant: 'northwind-retail',
      days: 7,
    });
    const [, row] = within(table).getAllByRole('row');
    const cells = within(row)
      .getAllByRole('cell')
      .map(c => c.textContent);
    expect(cells[0]).toBe('1');
    expect(cells[1]).toBe('checkout-assistant');
    expect(cells[2]).toBe('policy balanced → cost');
    expect(cells[3]).toBe('$8.91');
    expect(cells[4]).toMatch(
      /^1,008 decisions, .*: \$2\.40 → \$0\.32 over the 1,000 both serve \(recorded \$5\.54\)$/,
    );
    expect(cells[5]).toMatch(/^medium risk/);
    expect(cells[5]).toContain('At least 402 of 1008 requests');
    const propose = within(row).getByRole('link', {
      name: 'Propose this change',
    });
    const href = new URL(propose.getAttribute('href')!, 'http://portal');
    expect(href.pathname).toBe('/create/templates/default/agent-change');
    const formData = JSON.parse(href.searchParams.get('formData')!);
    expect(formData).toMatchObject({
      agent: 'agent:default/checkout-assistant',
      policy: 'cost',
    });
    expect(formData.preferredModels).toBeUndefined();
    expect(formData.reason).toMatch(/saving \$8\.91 a month/);
    expect(formData.reason).toMatch(/1008 decisions replayed/);
    expect(screen.getByText(/scaled to 30 days/)).toBeInTheDocument();
    expect(
      screen.getByText(/No decisions to replay for catalog-enricher/),
    ).toBeInTheDocument();
  });

  it("asks for a cell's on a Cell page, and says when the user may not read them", async () => {
    const api = mockPlatformApi();
    await renderWithPlatform(<RecommendationsContent />, {
      api,
      entity: platformEntity('Cell', 'eu-west-shared-1', {}),
    });
    expect(
      await screen.findByText(/Recommendations could not be loaded/),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/403 Not allowed: platform\.decisions\.read/).length,
    ).toBeGreaterThan(0);
    expect(api.listRecommendations).toHaveBeenCalledWith({
      cell: 'eu-west-shared-1',
      days: 7,
    });
  });
});
