// The inference APIs the gateway serves, as the benchmark drives them: the same short prompt and
// output bound through chat completions, the Responses API and Anthropic's Messages API. With
// BENCH_APIS=1, run.mjs drives one gateway through each in the same run and reports their CPU
// per request against chat's (target: within 10%).

const PROMPT = 'Say hello to the benchmark in one short sentence.';

export const API_REQUESTS = {
  chat: {
    path: '/v1/chat/completions',
    body: stream =>
      JSON.stringify({
        model: 'bench-model',
        messages: [{ role: 'user', content: PROMPT }],
        max_tokens: 16,
        ...(stream
          ? { stream: true, stream_options: { include_usage: true } }
          : {}),
      }),
  },
  responses: {
    path: '/v1/responses',
    body: stream =>
      JSON.stringify({
        model: 'bench-model',
        input: PROMPT,
        max_output_tokens: 16,
        ...(stream ? { stream: true } : {}),
      }),
  },
  messages: {
    path: '/v1/messages',
    body: stream =>
      JSON.stringify({
        model: 'bench-model',
        max_tokens: 16,
        messages: [{ role: 'user', content: PROMPT }],
        ...(stream ? { stream: true } : {}),
      }),
  },
};

export const API_CPU_OVER_CHAT_TARGET = 1.1;

const fmt = (value, digits = 3) => value.toFixed(digits);

/**
 * Prints each API's figures and its CPU per request over chat's, paired by round (the APIs ran
 * back to back on the same gateway process in each round); returns false when a request failed.
 */
export function reportApis(results, spread) {
  const chat = results.find(row => row.api === 'chat');
  const rows = results.map(row => ({
    ...row,
    cpuOverChat: spread(
      row.roundCpuMs.map((cpu, round) => cpu / chat.roundCpuMs[round]),
    ),
  }));
  const failures = rows.reduce((sum, row) => sum + row.failures, 0);
  const summary = {
    rows: rows.map(
      ({
        api,
        cpuMsPerRequest,
        requestsPerSecond,
        p50Ms,
        p99Ms,
        ttfbP50Ms,
        cpuOverChat,
        failures: failed,
      }) => ({
        api,
        cpuMsPerRequest,
        requestsPerSecond,
        p50Ms,
        p99Ms,
        ttfbP50Ms,
        cpuOverChat,
        met: cpuOverChat.median <= API_CPU_OVER_CHAT_TARGET,
        failures: failed,
      }),
    ),
    ok: failures === 0,
  };
  if (process.env.BENCH_JSON === '1') {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return summary.ok;
  }
  const lines = [
    'API            req/s   CPU ms/req   p50 ms   p99 ms   TTFB p50   CPU/chat (rounds)        target   verdict   failures',
  ];
  for (const row of summary.rows) {
    lines.push(
      [
        row.api.padEnd(12),
        fmt(row.requestsPerSecond, 0).padStart(7),
        fmt(row.cpuMsPerRequest).padStart(12),
        fmt(row.p50Ms).padStart(8),
        fmt(row.p99Ms).padStart(8),
        fmt(row.ttfbP50Ms).padStart(10),
        `${fmt(row.cpuOverChat.median, 2)}x (${fmt(
          row.cpuOverChat.min,
          2,
        )}..${fmt(row.cpuOverChat.max, 2)})`.padStart(24),
        `<= ${API_CPU_OVER_CHAT_TARGET}x`.padStart(9),
        (row.api === 'chat' ? '' : row.met ? 'met' : 'NOT MET').padStart(9),
        String(row.failures).padStart(10),
      ].join(' '),
    );
  }
  if (!summary.ok) lines.push('', `FAILED: ${failures} requests failed`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return summary.ok;
}
