import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { DecisionDetail } from '../../api';
import { DecisionDetails } from './DecisionDetails';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function detail(traceId?: string): DecisionDetail {
  return {
    demo: false,
    decision: {
      id: 'req-1-rd',
      schemaVersion: 1,
      requestId: 'req-1',
      timestamp: '2026-11-23T07:45:53.595Z',
      gateway: 'gw-1',
      cell: 'eu-west-shared-1',
      tenant: 'northwind',
      stateVersion: 'v1',
      type: 'routing-decision',
      requestedModel: 'auto',
      policy: 'balanced',
      complexityScore: 0.2,
      requiredCapabilities: [],
      estimatedInputTokens: 12,
      candidates: [{ modelProfile: 'eu-small', kept: true, rank: 0 }],
      chosen: 'eu-small',
      fallbacks: [],
      routerDecisionMs: 0.04,
      outcome: 'success',
      ...(traceId ? { traceId } : {}),
    },
  };
}

describe('DecisionDetails trace link', () => {
  it('links to the trace viewer when one is configured and the decision has a trace', async () => {
    await renderInTestApp(<DecisionDetails detail={detail(TRACE_ID)} />, {
      config: {
        platform: { traceViewerUrl: 'https://jaeger.example/trace/{traceId}' },
      },
    });
    const link = await screen.findByRole('link', { name: 'Open trace' });
    expect(link).toHaveAttribute(
      'href',
      `https://jaeger.example/trace/${TRACE_ID}`,
    );
    expect(link).toHaveAttribute('target', '_blank');
    expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  });

  it('shows the trace id without a link when no trace viewer is configured', async () => {
    await renderInTestApp(<DecisionDetails detail={detail(TRACE_ID)} />);
    expect(await screen.findByText(TRACE_ID)).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Open trace' })).toBeNull();
  });

  it('has no trace row for a decision recorded without a trace', async () => {
    await renderInTestApp(<DecisionDetails detail={detail()} />, {
      config: {
        platform: { traceViewerUrl: 'https://jaeger.example/trace/{traceId}' },
      },
    });
    expect(await screen.findByText('req-1')).toBeInTheDocument();
    expect(screen.queryByText('Trace')).toBeNull();
    expect(screen.queryByRole('link', { name: 'Open trace' })).toBeNull();
  });

  it('makes no link of a trace viewer URL that is not http(s)', async () => {
    await renderInTestApp(<DecisionDetails detail={detail(TRACE_ID)} />, {
      config: {
        // eslint-disable-next-line no-script-url -- the hostile value under test
        platform: { traceViewerUrl: 'javascript:alert(1)//{traceId}' },
      },
    });
    expect(await screen.findByText(TRACE_ID)).toBeInTheDocument();
    expect(screen.queryByRole('link')).toBeNull();
  });
});
