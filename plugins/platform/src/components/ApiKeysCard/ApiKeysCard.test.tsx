import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import {
  API_KEYS_ANNOTATION,
  ApiKeySummary,
} from '@cellport/plugin-platform-common';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  platformEntity,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { ApiKeysCard } from './ApiKeysCard';

// A rotation renders a dialog, a notice and the list twice: more than the default 5 s on a busy machine.
jest.setTimeout(30_000);

const FULL_HASH = 'd931933f0a'.padEnd(64, '7');

const catalogKey: ApiKeySummary = {
  prefix: 'cpk_Checko',
  fingerprint: FULL_HASH.slice(0, 8),
  tenant: 'tenant:default/northwind-retail',
  agent: 'agent:default/checkout-assistant',
  source: 'catalog',
  createdAt: '2026-11-30T09:00:00.000Z',
};
const tenantWide: ApiKeySummary = {
  prefix: 'cpk_tenant',
  fingerprint: 'aaaaaaaa',
  tenant: 'tenant:default/northwind-retail',
  source: 'catalog',
};
const rotatedOut: ApiKeySummary = {
  ...tenantWide,
  prefix: 'cpk_oldkey',
  fingerprint: 'bbbbbbbb',
  expiresAt: '2099-12-01T00:00:00Z',
};

function inTokyo() {
  const resolved = new Intl.DateTimeFormat().resolvedOptions();
  jest
    .spyOn(Intl.DateTimeFormat.prototype, 'resolvedOptions')
    .mockReturnValue({ ...resolved, timeZone: 'Asia/Tokyo' });
}

async function renderCard(
  api: ReturnType<typeof mockPlatformApi>,
  props: { tenant: string; agent?: string } = { tenant: 'northwind-retail' },
  annotation?: string,
) {
  const entity = props.agent
    ? platformEntity('Agent', props.agent, { tenant: props.tenant })
    : platformEntity('Tenant', props.tenant, {});
  if (annotation !== undefined)
    entity.metadata.annotations = { [API_KEYS_ANNOTATION]: annotation };
  await renderWithPlatform(<ApiKeysCard {...props} />, { api, entity });
}

describe('ApiKeysCard', () => {
  afterEach(() => jest.restoreAllMocks());

  it("lists a tenant's keys (prefix, bound agent, created, state, fingerprint), never a hash, and no Rotate without the permission", async () => {
    inTokyo();
    const api = mockPlatformApi({
      listApiKeys: jest.fn(async () => ({
        items: [tenantWide, catalogKey, rotatedOut],
        mayRotate: false,
      })),
    });
    await renderCard(api);
    const table = await screen.findByRole('table', { name: 'API keys' });
    expect(api.listApiKeys).toHaveBeenCalledWith({
      tenant: 'northwind-retail',
    });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toHaveTextContent('cpk_tenant…');
    expect(rows[1]).toHaveTextContent('any agent of the tenant');
    expect(rows[1]).toHaveTextContent('active');
    expect(rows[2]).toHaveTextContent('cpk_Checko…');
    expect(
      within(rows[2]).getByRole('link', { name: 'checkout-assistant' }),
    ).toHaveAttribute('href', '/catalog/default/agent/checkout-assistant');
    // In the reader's time zone, named.
    expect(rows[2]).toHaveTextContent('30 Nov 2026, 18:00:00 GMT+9');
    expect(rows[2]).toHaveTextContent('sha256:d931933f');
    expect(rows[3]).toHaveTextContent(
      'rotated out, valid until 1 Dec 2099, 09:00:00 GMT+9',
    );
    expect(document.body.textContent).not.toContain(FULL_HASH.slice(0, 9));
    expect(screen.queryByRole('button', { name: /Rotate/ })).toBeNull();
  });

  it('says which annotated keys no gateway serves and why, and offers to rotate one the portal never issued for a working key', async () => {
    const api = mockPlatformApi({
      listApiKeys: jest.fn(async () => ({
        items: [
          tenantWide,
          { ...catalogKey, notServed: 'issued-to-another' as const },
          {
            ...tenantWide,
            prefix: 'cpk_handmd',
            fingerprint: 'eeeeeeee',
            notServed: 'not-issued' as const,
          },
        ],
        mayRotate: true,
      })),
    });
    await renderCard(api);
    const table = await screen.findByRole('table', { name: 'API keys' });
    const rows = within(table).getAllByRole('row');
    expect(rows[2]).toHaveTextContent(
      'not served: the portal issued it to another tenant or agent',
    );
    expect(rows[3]).toHaveTextContent(
      'not served: the portal did not issue it',
    );
    expect(
      screen
        .getAllByRole('button', { name: /Rotate/ })
        .map(b => b.getAttribute('aria-label')),
    ).toEqual(['Rotate cpk_tenant', 'Rotate cpk_handmd']);
  });

  it('says a rotated key the portal never issued was never served, not that it keeps working', async () => {
    const api = mockPlatformApi({
      listApiKeys: jest.fn(async () => ({
        items: [
          {
            ...tenantWide,
            prefix: 'cpk_handmd',
            fingerprint: 'eeeeeeee',
            notServed: 'not-issued' as const,
          },
        ],
        mayRotate: true,
      })),
      rotateApiKey: jest.fn(async () => ({
        prefix: 'cpk_NewKey',
        revealUrl: '/api-keys/reveal/tok3n',
        revealExpiresAt: '2099-12-04T00:00:00.000Z',
        replaced: {
          prefix: 'cpk_handmd',
          expiresAt: new Date(Date.now() - 1000).toISOString(),
        },
        gatewaySynced: true,
      })),
    });
    await renderCard(api);
    await screen.findByRole('table', { name: 'API keys' });
    fireEvent.click(screen.getByRole('button', { name: 'Rotate cpk_handmd' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(
      'The old key was never served (the portal did not issue it); the new one serves at once.',
    );
    fireEvent.click(within(dialog).getByRole('button', { name: 'Rotate' }));
    expect(
      await screen.findByText(/New key cpk_NewKey… is ready/),
    ).toBeInTheDocument();
    expect(document.body.textContent).toContain(
      'The old key, cpk_handmd…, was never served: the portal did not issue it.',
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.body.textContent).not.toContain('keeps working');
  });

  it("rotates an agent's key after asking, shows the one-time reveal link and the old key's deadline, and reloads the list", async () => {
    inTokyo();
    const newKey: ApiKeySummary = {
      ...catalogKey,
      prefix: 'cpk_NewKey',
      fingerprint: 'cccccccc',
      source: 'portal',
    };
    const listApiKeys = jest
      .fn()
      .mockResolvedValueOnce({ items: [catalogKey], mayRotate: true })
      .mockResolvedValue({
        items: [
          { ...catalogKey, expiresAt: '2099-12-05T00:00:00.000Z' },
          newKey,
        ],
        mayRotate: true,
      });
    const api = mockPlatformApi({
      listApiKeys,
      rotateApiKey: jest.fn(async () => ({
        prefix: 'cpk_NewKey',
        revealUrl: '/api-keys/reveal/tok3n',
        revealExpiresAt: '2099-12-04T00:00:00.000Z',
        replaced: {
          prefix: 'cpk_Checko',
          expiresAt: '2099-12-05T00:00:00.000Z',
        },
        gatewaySynced: true,
      })),
    });
    await renderCard(api, {
      tenant: 'northwind-retail',
      agent: 'checkout-assistant',
    });
    await screen.findByRole('table', { name: 'API keys' });
    expect(api.listApiKeys).toHaveBeenCalledWith({
      agent: 'checkout-assistant',
    });

    fireEvent.click(screen.getByRole('button', { name: 'Rotate cpk_Checko' }));
    // Nothing happens before the confirmation.
    expect(api.rotateApiKey).not.toHaveBeenCalled();
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Rotate key cpk_Checko…?');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Rotate' }));

    await waitFor(() =>
      expect(api.rotateApiKey).toHaveBeenCalledWith(
        'northwind-retail',
        'cpk_Checko',
      ),
    );
    expect(
      await screen.findByText(/New key cpk_NewKey… is ready/),
    ).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(
      screen.getByRole('link', { name: 'Reveal it once' }),
    ).toHaveAttribute('href', '/api-keys/reveal/tok3n');
    expect(document.body.textContent).toContain(
      'keeps working until 5 Dec 2099, 09:00:00 GMT+9',
    );
    expect(document.body.textContent).toContain(
      "The cell's gateway knows the new key now.",
    );
    // The list now has both keys; the rotated-out one can no longer be rotated.
    await waitFor(() =>
      expect(
        within(screen.getByRole('table', { name: 'API keys' })).getAllByRole(
          'row',
        ),
      ).toHaveLength(3),
    );
    expect(
      screen.queryByRole('button', { name: 'Rotate cpk_Checko' }),
    ).toBeNull();
    expect(
      screen.getByRole('button', { name: 'Rotate cpk_NewKey' }),
    ).toBeInTheDocument();
  });

  it('says why a rotation failed', async () => {
    const api = mockPlatformApi({
      listApiKeys: jest.fn(async () => ({
        items: [catalogKey],
        mayRotate: true,
      })),
      rotateApiKey: jest.fn(async () => {
        throw Object.assign(
          new Error('API key cpk_Checko… was already rotated'),
          { status: 409 },
        );
      }),
    });
    await renderCard(api);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Rotate cpk_Checko' }),
    );
    fireEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Rotate',
      }),
    );
    expect(
      await screen.findByText(/The key could not be rotated/),
    ).toBeInTheDocument();
  });

  it('says how keys are made when there are none', async () => {
    await renderCard(mockPlatformApi());
    expect(
      await screen.findByText(/No API keys for this tenant yet/),
    ).toBeInTheDocument();
  });

  it('says what is wrong with a broken annotation', async () => {
    await renderCard(mockPlatformApi(), undefined, '[{"prefix":"cpk_abcdef"}]');
    expect(
      await screen.findByText(/The tenant's API keys could not be read/),
    ).toBeInTheDocument();
    expect(screen.getByText(/\[0\]\.sha256/)).toBeInTheDocument();
  });
});
