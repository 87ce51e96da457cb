import { latencyFacts } from './latencyFacts';

const usage = {
  totalLatencyMs: 2600,
  gatewayOverheadMs: 1100,
  upstreamLatencyMs: 1500,
  timeToFirstTokenMs: 1450,
  stream: true,
} as any;
const fallback = (latencyMs: number) =>
  ({ modelProfile: 'gpt-4o', errorClass: 'upstream-5xx', latencyMs } as any);

describe('latencyFacts', () => {
  it("keeps failed attempts' time out of the gateway's overhead", () => {
    expect(Object.fromEntries(latencyFacts(usage, [fallback(1000)]))).toEqual({
      'Total latency': '2.60 s',
      'Failed attempts': '1.00 s in 1 attempt',
      'Upstream time (answering route, to the last byte)': '1.50 s',
      'Gateway overhead': '100 ms',
      'Time to first token (from arrival at the gateway)': '1.45 s',
    });
  });

  it('says overhead is not measured when no route answered', () => {
    const rows = Object.fromEntries(
      latencyFacts(
        {
          ...usage,
          stream: false,
          upstreamLatencyMs: undefined,
          timeToFirstTokenMs: undefined,
          gatewayOverheadMs: 2600,
        },
        [fallback(1200), fallback(1300)],
      ),
    );
    expect(rows['Gateway overhead']).toMatch(
      /^not measured: no route answered/,
    );
    expect(rows['Failed attempts']).toBe('2.50 s in 2 attempts');
    expect(Object.keys(rows)).not.toContain(
      'Time to first token (from arrival at the gateway)',
    );
  });
});
