// BENCH_TRACING=1: what OpenTelemetry tracing costs a request. In the same rounds, the
// pass-through proxy (the floor) and two gateways that differ only in tracing: off (no
// endpoint, so no span object is made) and on, every request sampled and exported over
// OTLP/HTTP to a loopback collector stand-in (otlp-receiver.mjs). Both gateways run the
// in-process mode of the main run (in-process counters, events over HTTP to the portal
// stand-in). Targets: CPU per request <= 1.5x the proxy's with tracing off, <= 2x with it on.

export const TRACING_TARGETS = { offOverProxy: 1.5, onOverProxy: 2 };

/** Spans a chat request without a fallback makes: the request, routing, one attempt. */
export const SPANS_PER_REQUEST = 3;

const fmt = (value, digits = 3) => value.toFixed(digits);

/**
 * Prints each target's figures and the CPU-per-request ratios, paired by round; returns
 * false when a request failed or spans are missing.
 */
export function reportTracing(results, spread, names, spans) {
  const byName = Object.fromEntries(results.map(row => [row.name, row]));
  const paired = (over, under) =>
    spread(
      byName[over].roundCpuMs.map(
        (cpu, round) => cpu / byName[under].roundCpuMs[round],
      ),
    );
  const ratios = {
    offOverProxy: paired(names.off, names.proxy),
    onOverProxy: paired(names.on, names.proxy),
    onOverOff: paired(names.on, names.off),
  };
  const failures = results.reduce((sum, row) => sum + row.failures, 0);
  const expectedSpans = SPANS_PER_REQUEST * byName[names.on].sent;
  const checks = [
    {
      check: 'CPU per request, tracing off / proxy',
      value: ratios.offOverProxy,
      target: `<= ${TRACING_TARGETS.offOverProxy}x`,
      met: ratios.offOverProxy.median <= TRACING_TARGETS.offOverProxy,
    },
    {
      check: 'CPU per request, tracing on (100%) / proxy',
      value: ratios.onOverProxy,
      target: `<= ${TRACING_TARGETS.onOverProxy}x`,
      met: ratios.onOverProxy.median <= TRACING_TARGETS.onOverProxy,
    },
  ];
  if (process.env.BENCH_JSON === '1') {
    process.stdout.write(
      `${JSON.stringify(
        { results, ratios, checks, spans, expectedSpans, failures },
        null,
        2,
      )}\n`,
    );
  } else {
    process.stdout.write(
      'target                          req/s   CPU ms/req   p50 ms   p99 ms   TTFB p50 ms\n',
    );
    for (const row of results) {
      process.stdout.write(
        `${row.name.padEnd(30)} ${fmt(row.requestsPerSecond, 0).padStart(
          6,
        )}   ${fmt(row.cpuMsPerRequest).padStart(10)}   ${fmt(
          row.p50Ms,
        ).padStart(6)}   ${fmt(row.p99Ms).padStart(6)}   ${fmt(
          row.ttfbP50Ms,
        ).padStart(11)}\n`,
      );
    }
    const range = ({ median, min, max }) =>
      `${fmt(median, 2)}x (rounds ${fmt(min, 2)}-${fmt(max, 2)})`;
    process.stdout.write(
      `\nCPU per request, paired by round: tracing off / proxy ${range(
        ratios.offOverProxy,
      )}, tracing on / proxy ${range(ratios.onOverProxy)}, on / off ${range(
        ratios.onOverOff,
      )}\n`,
    );
    process.stdout.write(
      `spans at the collector stand-in: ${spans.spans} of ${expectedSpans} (${SPANS_PER_REQUEST} per request), ${spans.traces} traces, ${spans.batches} batches\n\n`,
    );
    for (const { check, value, target, met } of checks) {
      process.stdout.write(
        `${met ? 'met    ' : 'NOT MET'}  ${check}: ${range(
          value,
        )}, target ${target}\n`,
      );
    }
  }
  if (failures > 0) {
    process.stdout.write(`${failures} requests failed\n`);
  }
  if (spans.spans < expectedSpans) {
    process.stdout.write(
      `${
        expectedSpans - spans.spans
      } spans missing (dropped by the batch processor or not exported)\n`,
    );
  }
  return failures === 0 && spans.spans >= expectedSpans;
}
