import { screen, within } from '@testing-library/react';
import { createHash } from 'node:crypto';
import { API_KEYS_ANNOTATION } from '@cellport/plugin-platform-common';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  platformEntity,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { TenantApiKeysCard } from './TenantApiKeysCard';

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

function tenantWithAnnotation(value?: string) {
  const tenant = platformEntity('Tenant', 'meridian-bank', {});
  if (value !== undefined)
    tenant.metadata.annotations = { [API_KEYS_ANNOTATION]: value };
  return tenant;
}

async function renderCard(value?: string) {
  await renderWithPlatform(<TenantApiKeysCard />, {
    api: mockPlatformApi(),
    entity: tenantWithAnnotation(value),
  });
}

describe('TenantApiKeysCard', () => {
  afterEach(() => jest.restoreAllMocks());

  it('shows each key as its prefix, its agent and a short fingerprint, never the hash', async () => {
    // A reader in Tokyo.
    const resolved = new Intl.DateTimeFormat().resolvedOptions();
    jest
      .spyOn(Intl.DateTimeFormat.prototype, 'resolvedOptions')
      .mockReturnValue({ ...resolved, timeZone: 'Asia/Tokyo' });
    const tenantKey = hashOf('cpk_tenant-wide-key');
    const agentKey = hashOf('cpk_fraud-triage-key');
    await renderCard(
      JSON.stringify([
        { sha256: tenantKey, prefix: 'cpk_tenant' },
        { sha256: agentKey, prefix: 'cpk_fraud-', agent: 'fraud-triage' },
        {
          sha256: hashOf('old'),
          prefix: 'cpk_oldkey',
          expiresAt: '2026-12-01T00:00:00Z',
        },
      ]),
    );
    const table = screen.getByRole('table', { name: 'API keys' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toHaveTextContent('cpk_tenant…');
    expect(rows[1]).toHaveTextContent('any agent of the tenant');
    expect(rows[1]).toHaveTextContent(`sha256:${tenantKey.slice(0, 8)}`);
    expect(rows[1]).toHaveTextContent('active');
    expect(rows[2]).toHaveTextContent('cpk_fraud-…');
    expect(
      within(rows[2]).getByRole('link', { name: 'fraud-triage' }),
    ).toHaveAttribute('href', '/catalog/default/agent/fraud-triage');
    // In the reader's time zone, named: no UTC arithmetic to know the deadline.
    expect(rows[3]).toHaveTextContent(
      'rotated out, valid until 1 Dec 2026, 09:00:00 GMT+9',
    );
    expect(document.body.textContent).not.toContain(tenantKey);
    expect(document.body.textContent).not.toContain(agentKey.slice(0, 9));
  });

  it('says how keys are made when there are none', async () => {
    await renderCard();
    expect(
      screen.getByText(/No API keys in the catalog for this tenant/),
    ).toBeInTheDocument();
  });

  it('says what is wrong with a broken annotation', async () => {
    await renderCard('[{"prefix":"cpk_abcdef"}]');
    expect(
      screen.getByText(/The tenant's API keys could not be read/),
    ).toBeInTheDocument();
    expect(screen.getByText(/\[0\]\.sha256/)).toBeInTheDocument();
  });
});
