import { render, screen } from '@testing-library/react';
import App from './App';

describe('App', () => {
  it('renders the Cellport sign-in page with guest access', async () => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'Cellport' },
            backend: { baseUrl: 'http://localhost:7007' },
          },
          context: 'test',
        },
      ] as any,
    };

    render(App.createRoot());

    expect(
      await screen.findByRole('button', { name: 'Enter' }, { timeout: 15_000 }),
    ).toBeInTheDocument();
    expect(screen.getByText('Cellport')).toBeInTheDocument();
  });
});
