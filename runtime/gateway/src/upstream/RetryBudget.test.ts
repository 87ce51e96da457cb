import { RetryBudget } from './RetryBudget';

describe('RetryBudget', () => {
  it('allows the reserve, then one retry per 1/ratio requests', () => {
    const budget = new RetryBudget(0.25, 2);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    for (let i = 0; i < 3; i++) budget.onRequest();
    expect(budget.tryRetry()).toBe(false);
    budget.onRequest();
    expect(budget.tryRetry()).toBe(true);
  });
});
