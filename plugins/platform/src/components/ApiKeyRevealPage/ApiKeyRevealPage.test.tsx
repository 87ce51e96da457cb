import { fireEvent, screen } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { PlatformRequestError } from '../../api';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import { renderWithPlatform } from '../../__testUtils__/renderWithPlatform';
import { ApiKeyReveal } from './ApiKeyRevealPage';

const TOKEN = 'A'.repeat(43);

async function renderReveal(api = mockPlatformApi()) {
  await renderWithPlatform(
    <Routes>
      <Route path="/reveal/:token" element={<ApiKeyReveal />} />
    </Routes>,
    { api, search: `reveal/${TOKEN}` },
  );
  return api;
}

describe('ApiKeyReveal', () => {
  it('spends the one reveal only when asked, then shows the key to copy', async () => {
    const api = await renderReveal(
      mockPlatformApi({
        revealApiKey: jest.fn(async () => ({
          apiKey: 'cpk_AbCdEfGhIjKlMnOpQrStUvWxYz012345',
          tenant: 'tenant:default/contoso-travel',
          prefix: 'cpk_AbCdEf',
        })),
      }),
    );
    // Opening the link (or a link preview fetching it) reveals nothing.
    expect(api.revealApiKey).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Reveal key' }));
    expect(await screen.findByLabelText('API key')).toHaveTextContent(
      'cpk_AbCdEfGhIjKlMnOpQrStUvWxYz012345',
    );
    expect(api.revealApiKey).toHaveBeenCalledWith(TOKEN);
    expect(screen.getByText('contoso-travel')).toBeInTheDocument();
    expect(screen.getByText(/only time it is shown/)).toBeInTheDocument();
  });

  it("names the gateway of the tenant's cell and a first call to paste", async () => {
    await renderReveal(
      mockPlatformApi({
        revealApiKey: jest.fn(async () => ({
          apiKey: 'cpk_AbCdEfGhIjKlMnOpQrStUvWxYz012345',
          tenant: 'tenant:default/acme-bank',
          prefix: 'cpk_AbCdEf',
          gateway: {
            cell: 'acme-bank-dedicated',
            url: 'http://127.0.0.1:7085',
            status: {
              source: 'local-runtime' as const,
              state: 'running' as const,
            },
          },
        })),
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Reveal key' }));
    expect(await screen.findByLabelText('Gateway URL')).toHaveTextContent(
      'http://127.0.0.1:7085/v1',
    );
    expect(screen.getByText('acme-bank-dedicated')).toBeInTheDocument();
    expect(screen.getByLabelText('First call')).toHaveTextContent(
      "curl -s http://127.0.0.1:7085/v1/chat/completions \\ -H 'Authorization: Bearer cpk_AbCdEfGhIjKlMnOpQrStUvWxYz012345'",
    );
  });

  it('says when the cell has no gateway to call yet', async () => {
    await renderReveal(
      mockPlatformApi({
        revealApiKey: jest.fn(async () => ({
          apiKey: 'cpk_AbCdEfGhIjKlMnOpQrStUvWxYz012345',
          tenant: 'tenant:default/acme-bank',
          prefix: 'cpk_AbCdEf',
          gateway: {
            cell: 'acme-bank-dedicated',
            status: {
              source: 'none' as const,
              state: 'not-configured' as const,
              detail: 'No gateway URL',
            },
          },
        })),
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Reveal key' }));
    expect(
      await screen.findByText(/is not running yet: No gateway URL/),
    ).toBeInTheDocument();
    expect(screen.queryByLabelText('First call')).not.toBeInTheDocument();
  });

  it('explains a link that was already used', async () => {
    await renderReveal(
      mockPlatformApi({
        revealApiKey: jest.fn(async () => {
          throw new PlatformRequestError('404 already revealed', 404);
        }),
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Reveal key' }));
    expect(
      await screen.findByText(/already revealed, or the link expired/),
    ).toBeInTheDocument();
    expect(screen.getByText(/create a new key/)).toBeInTheDocument();
  });

  it('names the permission problem when another user opens the link', async () => {
    await renderReveal(
      mockPlatformApi({
        revealApiKey: jest.fn(async () => {
          throw new PlatformRequestError(
            '403 Only the person who created this API key can reveal it',
            403,
          );
        }),
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Reveal key' }));
    expect(
      (await screen.findAllByText(/Only the person who created this API key/))
        .length,
    ).toBeGreaterThan(0);
  });
});
