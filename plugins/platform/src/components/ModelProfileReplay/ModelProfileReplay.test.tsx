import { fireEvent, screen, waitFor } from '@testing-library/react';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  platformEntity,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { cellsUsingProfile } from './cellsUsingProfile';
import { ModelProfileReplay } from './ModelProfileReplay';

jest.setTimeout(30_000);

const cells = [
  platformEntity('Cell', 'eu-west-shared-1', { tier: 'shared' }),
  platformEntity('Cell', 'us-east-shared-1', { tier: 'shared' }),
  platformEntity('Cell', 'meridian-dedicated', {
    tier: 'dedicated',
    tenants: ['tenant:default/meridian-health'],
  }),
];
const tenants = [
  platformEntity('Tenant', 'northwind-retail', {
    cell: 'cell:default/eu-west-shared-1',
    modelAllowlist: ['modelprofile:default/azure-gpt-4o-eu'],
  }),
  platformEntity('Tenant', 'meridian-health', {
    modelAllowlist: ['azure-gpt-4o-eu', 'llama-3-1-70b-meridian'],
  }),
  // Names a private cell it is not listed by: it is no guest there.
  platformEntity('Tenant', 'stowaway', {
    cell: 'cell:default/meridian-dedicated',
    modelAllowlist: ['llama-3-1-70b-eu'],
  }),
];

const profiles = ['azure-gpt-4o-eu', 'llama-3-1-70b-eu'].map(name =>
  platformEntity('ModelProfile', name, {
    pricing: { inputPerMillionUsd: 2.5, outputPerMillionUsd: 10 },
  }),
);

describe('cellsUsingProfile', () => {
  it('finds the cells hosting a tenant that may route to the profile', () => {
    expect(cellsUsingProfile('azure-gpt-4o-eu', cells, tenants)).toEqual([
      'eu-west-shared-1',
      'meridian-dedicated',
    ]);
    expect(cellsUsingProfile('llama-3-1-70b-eu', cells, tenants)).toEqual([]);
  });
});

describe('ModelProfileReplay', () => {
  it("proposes the profile down on a cell that routes to it, and replays that cell's decisions", async () => {
    const api = mockPlatformApi({
      startReplay: jest.fn(() => pending()),
    });
    await renderWithPlatform(<ModelProfileReplay />, {
      api,
      catalogEntities: [...cells, ...tenants, ...profiles],
      entity: platformEntity('ModelProfile', 'azure-gpt-4o-eu', {}),
    });
    const cell = await screen.findByLabelText('Cell whose decisions to replay');
    expect(cell).toHaveValue('eu-west-shared-1');
    expect(
      screen.getByText('2 cells may route to azure-gpt-4o-eu'),
    ).toBeInTheDocument();
    expect(await screen.findByLabelText('What if…')).toHaveValue('down');
    expect(screen.getByLabelText('Model profile')).toHaveValue(
      'azure-gpt-4o-eu',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Replay' }));
    await waitFor(() =>
      expect(api.startReplay).toHaveBeenCalledWith(
        expect.objectContaining({
          cell: 'eu-west-shared-1',
          change: { modelProfiles: { 'azure-gpt-4o-eu': { down: true } } },
        }),
      ),
    );

    // The other cell that routes to it.
    fireEvent.change(cell, { target: { value: 'meridian-dedicated' } });
    fireEvent.click(await screen.findByRole('button', { name: 'Replay' }));
    await waitFor(() =>
      expect(api.startReplay).toHaveBeenLastCalledWith(
        expect.objectContaining({ cell: 'meridian-dedicated' }),
      ),
    );
  });

  it('says so when no cell routes to the profile', async () => {
    await renderWithPlatform(<ModelProfileReplay />, {
      api: mockPlatformApi(),
      catalogEntities: [...cells, ...tenants, ...profiles],
      entity: platformEntity('ModelProfile', 'llama-3-1-70b-eu', {}),
    });
    expect(
      await screen.findByText(
        "No tenant's allowlist names llama-3-1-70b-eu: no cell routes to it, so there is nothing to replay.",
      ),
    ).toBeInTheDocument();
  });
});
