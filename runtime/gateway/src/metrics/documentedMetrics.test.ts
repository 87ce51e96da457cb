/**
 * Every metric the README lists for `GET /metrics` (its Operations section and the GenAI
 * metrics of its Telemetry section) is exposed by a gateway as a cell runs it, events on, with
 * the labels the README gives it. The list is read from the README itself, so a metric added
 * there and not to the gateway (or renamed in one only) fails here. A real gateway process
 * sending its events to a portal stand-in, after a JSON and a streamed request.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimulatorServer } from '@cellport/simulator';
import {
  EventReceiver,
  postChat,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { startGatewayProcess } from '../__testUtils__/processes';
import { spooledGatewayWork } from '../__testUtils__/spooledGateway';

// A real process and servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const README = join(__dirname, '..', '..', 'README.md');

interface DocumentedMetric {
  name: string;
  /** The label names the README gives in braces (`name{a,b}`); none when it gives none. */
  labels?: string[];
}

/**
 * The metrics the README names in code spans of its `GET /metrics` item and of its GenAI
 * metrics paragraph: Node's standard names and the gateway's own, wildcards and label
 * selectors left out.
 */
function documentedMetrics(): DocumentedMetric[] {
  const readme = readFileSync(README, 'utf8');
  const sections = [
    /^- `GET \/metrics`[\s\S]*?(?=^- |^#)/m.exec(readme)?.[0] ?? '',
    /^\*\*Metrics\*\*:[\s\S]*?(?=\n\n)/m.exec(readme)?.[0] ?? '',
  ];
  const metric =
    /^((?:cellport_gateway|gen_ai_client|process|nodejs)_[a-z0-9_]*[a-z0-9])(?:\{([a-z_,]+)\})?$/;
  const found = new Map<string, DocumentedMetric>();
  for (const section of sections) {
    for (const [, span] of section.matchAll(/`([^`]+)`/g)) {
      const [, name, labels] = metric.exec(span) ?? [];
      if (name && !found.get(name)?.labels) {
        found.set(name, { name, labels: labels?.split(',') });
      }
    }
  }
  return [...found.values()];
}

/** The label names of `name`'s first sample (a histogram's `_count`), or null without one. */
function sampleLabels(exposition: string, name: string): string[] | null {
  const sample = new RegExp(`^${name}(?:_count)?\\{([^}]*)\\} `, 'm').exec(
    exposition,
  );
  return sample
    ? [...sample[1].matchAll(/([a-zA-Z_]\w*)="/g)].map(([, label]) => label)
    : null;
}

describe('GET /metrics, as the README lists it', () => {
  let simulator: SimulatorServer;
  let portal: EventReceiver;
  beforeAll(async () => {
    simulator = await startSimulator();
    portal = new EventReceiver();
  });
  afterAll(async () => {
    await portal.stop();
    await simulator.stop();
  });

  it('exposes every metric listed, with events on, labelled as documented', async () => {
    const documented = documentedMetrics();
    // Both passages were found: the gateway's own metrics, those of events, GenAI and Node's.
    expect(documented.map(({ name }) => name)).toEqual(
      expect.arrayContaining([
        'cellport_gateway_requests_total',
        'cellport_gateway_events_dead_lettered_total',
        'cellport_gateway_spool_bytes',
        'cellport_gateway_state_info',
        'gen_ai_client_operation_time_to_first_chunk_seconds',
        'process_cpu_seconds_total',
      ]),
    );
    const work = spooledGatewayWork(testState(simulator.url));
    const gateway = await startGatewayProcess(work.env(await portal.start()));
    try {
      // A labelled series has a sample once something was counted in it: a JSON answer and
      // a stream (time to first token) from one profile.
      for (const stream of [false, true]) {
        const answered = await postChat(gateway.url, {
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'hi' }],
          stream,
        });
        expect(answered.status).toBe(200);
        await answered.text();
      }
      const exposition = await (await fetch(`${gateway.url}/metrics`)).text();
      const declared = new Set(
        [...exposition.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name),
      );
      expect({
        missing: documented
          .filter(({ name }) => !declared.has(name))
          .map(({ name }) => name),
        labelledOtherwise: documented
          .filter(({ name, labels }) => {
            if (!labels) return false;
            const exposed = sampleLabels(exposition, name);
            return exposed?.sort().join() !== [...labels].sort().join();
          })
          .map(({ name, labels }) => ({
            name,
            documented: labels,
            exposed: sampleLabels(exposition, name),
          })),
      }).toEqual({ missing: [], labelledOtherwise: [] });
    } finally {
      await gateway.kill();
    }
  });
});
