import { screen } from '@testing-library/react';
import type { TenantBudgetReport } from '../../api';
import { budgetReport } from '../../__testUtils__/fixtures';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { BudgetCard } from './BudgetCard';

/** Renders Meridian's budget from `report`: the group a reader reads it in. */
async function meridianBudget(report: TenantBudgetReport = budgetReport) {
  await renderWithPlatform(<BudgetCard tenants={['meridian-bank']} />, {
    api: mockPlatformApi({ getTenantBudget: jest.fn(async () => report) }),
  });
  return screen.findByRole('group', { name: 'meridian-bank budget' });
}

describe('BudgetCard', () => {
  it('shows loading', async () => {
    await renderWithPlatform(<BudgetCard tenants={['t']} />, {
      api: mockPlatformApi({ getTenantBudget: jest.fn(() => pending()) }),
    });
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows spend against budget and the month-end forecast', async () => {
    const group = await meridianBudget();
    expect(group).toHaveTextContent(
      '$30,000 of $40,000 spent in 2026-11 (75.0%)',
    );
    expect(group).toHaveTextContent('$10,000 left this month');
    expect(group).toHaveTextContent(
      'Month-end forecast: $42,000 (105.0% of budget), over budget',
    );
    // The budget covers GPUs too, and says what the forecast rests on.
    expect(group).toHaveTextContent('Covers LLM tokens $9,500 + GPUs $20,500');
    expect(group).toHaveTextContent(
      'Forecast from the trend of 22 complete days of token and GPU spend.',
    );
  });

  it('shows an overspent budget as what it was overspent by', async () => {
    const group = await meridianBudget({
      ...budgetReport,
      monthToDateUsd: 40_250,
      usedFraction: 40_250 / 40_000,
    });
    expect(group).toHaveTextContent(
      '$40,250 of $40,000 spent in 2026-11 (100.6%)',
    );
    expect(group).toHaveTextContent('Overspent by $250');
    expect(group).not.toHaveTextContent('left this month');
  });

  it('reads a spend equal to the budget, to floating-point rounding, as nothing left, not an overspend', async () => {
    const group = await meridianBudget({
      ...budgetReport,
      budgetUsd: 0.3,
      monthToDateUsd: 0.1 + 0.2,
      usedFraction: 1,
    });
    expect(group).toHaveTextContent('$0.00 left this month');
    expect(group).not.toHaveTextContent('Overspent');
  });

  it('says when there are no tenants', async () => {
    await renderWithPlatform(<BudgetCard tenants={[]} />, {
      api: mockPlatformApi(),
    });
    expect(await screen.findByText(/No tenants here yet/)).toBeInTheDocument();
  });

  it('shows the error', async () => {
    await renderWithPlatform(<BudgetCard tenants={['x']} />, {
      api: mockPlatformApi(),
    });
    expect(
      (await screen.findAllByText(/404 No tenant/)).length,
    ).toBeGreaterThan(0);
  });
});
