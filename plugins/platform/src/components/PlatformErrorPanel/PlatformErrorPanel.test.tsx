import { screen } from '@testing-library/react';
import { PlatformRequestError } from '../../api';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import { renderWithPlatform } from '../../__testUtils__/renderWithPlatform';
import { PlatformErrorPanel, whatToDo } from './PlatformErrorPanel';

describe('PlatformErrorPanel', () => {
  it('says what to do for each kind of failure', () => {
    const status = (s: number) => new PlatformRequestError(`${s} x`, s);
    expect(whatToDo(status(403))).toMatch(/permission/);
    expect(whatToDo(status(400))).toMatch(/pick the time range/);
    expect(whatToDo(status(404))).toMatch(/not in the catalog/);
    expect(whatToDo(status(503))).toMatch(/try again in a minute/);
    expect(whatToDo(new TypeError('Failed to fetch'))).toMatch(
      /did not answer/,
    );
  });

  it('shows what failed, what to do and the backend message', async () => {
    await renderWithPlatform(
      <PlatformErrorPanel
        title="Cost could not be loaded"
        error={
          new PlatformRequestError('403 Not allowed: platform.cost.read', 403)
        }
      />,
      { api: mockPlatformApi() },
    );
    expect(
      screen.getByText(/Cost could not be loaded\. Your account lacks/),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/403 Not allowed: platform\.cost\.read/).length,
    ).toBeGreaterThan(0);
  });
});
