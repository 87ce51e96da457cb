import { fireEvent, screen, waitFor } from '@testing-library/react';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { RuntimeCard } from './RuntimeCard';

const runtime = {
  cell: 'meridian-dedicated',
  seen: true,
  gatewayUrl: 'http://127.0.0.1:7083',
  gateway: { source: 'catalog' as const, state: 'running' as const },
  desiredVersion: 'aaaaaaaaaaaaaaaa',
  pushedVersion: 'bbbbbbbbbbbbbbbb',
  remoteVersion: 'cccccccccccccccc',
  inSync: false,
  drift: true,
  lastDriftAt: '2026-11-23T07:44:16.968Z',
  lastError: 'connect ECONNREFUSED',
  lastErrorAt: '2026-11-23T07:45:00.000Z',
  consecutiveFailures: 2,
  desired: { tenants: 1, apiKeys: 2, modelProfiles: 3, agents: 4 },
};

describe('RuntimeCard', () => {
  it('shows loading', async () => {
    await renderWithPlatform(<RuntimeCard cell="c" />, {
      api: mockPlatformApi({ getCellRuntime: jest.fn(() => pending()) }),
    });
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows sync state, versions, drift and the last error', async () => {
    await renderWithPlatform(<RuntimeCard cell="meridian-dedicated" />, {
      api: mockPlatformApi({ getCellRuntime: jest.fn(async () => runtime) }),
    });
    const table = await screen.findByRole('table', { name: 'Runtime' });
    expect(table).toHaveTextContent('failing');
    expect(table).toHaveTextContent('bbbbbbbbbbbb');
    expect(table).toHaveTextContent('yes (seen');
    expect(table).toHaveTextContent('connect ECONNREFUSED');
    expect(table).toHaveTextContent('2 failures in a row');
    expect(table).toHaveTextContent('1 tenants, 2 API keys');
  });

  it('explains a cell the reconciler has not seen, and reconciles on demand', async () => {
    const api = mockPlatformApi({
      reconcileCell: jest.fn(async () => ({ ...runtime, inSync: true })),
    });
    await renderWithPlatform(<RuntimeCard cell="new-cell" />, { api });
    expect(await screen.findByText('not synced yet')).toBeInTheDocument();
    expect(
      screen.getByText(/Nothing has been pushed to this cell's gateway yet/),
    ).toBeInTheDocument();
    expect(screen.queryByText(/could not be loaded/)).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Reconcile now' }));
    expect(api.reconcileCell).toHaveBeenCalledWith('new-cell');
    await waitFor(() => expect(api.getCellRuntime).toHaveBeenCalledTimes(2));
  });

  it('shows a failed reconcile', async () => {
    await renderWithPlatform(<RuntimeCard cell="c" />, {
      api: mockPlatformApi(),
    });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Reconcile now' }),
    );
    expect(
      (await screen.findAllByText(/403 Not allowed/)).length,
    ).toBeGreaterThan(0);
  });

  it('says what to do when the runtime cannot be loaded', async () => {
    await renderWithPlatform(<RuntimeCard cell="gone" />, {
      api: mockPlatformApi({
        getCellRuntime: jest.fn(async () => {
          throw new Error('404 No cell named "gone" in the catalog');
        }),
      }),
    });
    expect(
      await screen.findByText(/Runtime state could not be loaded/),
    ).toBeInTheDocument();
  });

  it.each([
    [
      {
        source: 'none',
        state: 'not-configured',
        detail: 'No gateway URL: set it',
      },
      'no gateway',
      'none: No gateway URL: set it',
    ],
    [
      { source: 'local-runtime', state: 'starting' },
      'gateway starting',
      'http://127.0.0.1:7085, starting (started by the portal (local runtime))',
    ],
    [
      {
        source: 'local-runtime',
        state: 'failing',
        detail: 'exited (code 1): listen EADDRINUSE',
      },
      'gateway failing',
      'failing (started by the portal (local runtime)): exited (code 1): listen EADDRINUSE',
    ],
  ] as const)(
    'says plainly why a cell has no working gateway (%j)',
    async (gateway, chip, description) => {
      const unsynced = {
        ...runtime,
        gatewayUrl: 'http://127.0.0.1:7085',
        gateway,
        drift: false,
        lastError: undefined,
        consecutiveFailures: 0,
      };
      await renderWithPlatform(<RuntimeCard cell="acme-dedicated" />, {
        api: mockPlatformApi({ getCellRuntime: jest.fn(async () => unsynced) }),
      });
      const table = await screen.findByRole('table', { name: 'Runtime' });
      expect(table).toHaveTextContent(chip);
      expect(table).toHaveTextContent(description);
      expect(table).not.toHaveTextContent('pending');
    },
  );
});
