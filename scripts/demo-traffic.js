// Live demo traffic for the embedded default: each demo agent calls its cell's gateway with
// its own key, a few requests a second in all, with a realistic mix of short and long prompts,
// streams and tool use. Now and then it makes an upstream model fail at the simulator for a
// while, so the dashboards show fallbacks, errors and open circuits too.
// Stops by itself after CELLPORT_DEMO_TRAFFIC_MINUTES (default 480) or when its parent stops.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseAllDocuments } = require('yaml');
const { demoEnvironment } = require('./demo-environment');

const repo = path.resolve(__dirname, '..');
const { traffic, simulator } = demoEnvironment(repo);
const upstreamModels = parseAllDocuments(
  fs.readFileSync(path.join(repo, 'examples/model-profiles.yaml'), 'utf8'),
).map(d => d.toJS().spec.model);

const REQUESTS_PER_SECOND = Number(process.env.CELLPORT_DEMO_TRAFFIC_RPS ?? 3);
const deadline =
  Date.now() +
  Number(process.env.CELLPORT_DEMO_TRAFFIC_MINUTES ?? 480) * 60_000;

const questions = [
  'Where is my order 4471?',
  'Summarise this claim and list the missing documents.',
  'Explain step by step how to solve 3x + 7 = 22.',
  'Draft a reply to a customer asking to return shoes bought 40 days ago.',
  'Is this card transaction pattern consistent with account takeover?',
  'Write a product description for a waterproof hiking jacket.',
];

const pick = items => items[Math.floor(Math.random() * items.length)];

function chatRequest() {
  const long = Math.random() < 0.15;
  const content = long
    ? `${pick(
        questions,
      )}\n\n${'Context paragraph with order history and notes. '.repeat(200)}`
    : pick(questions);
  return {
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content },
    ],
    max_tokens: 64 + Math.floor(Math.random() * 256),
    stream: Math.random() < 0.3,
    ...(Math.random() < 0.2
      ? {
          tools: [
            {
              type: 'function',
              function: {
                name: 'lookup',
                parameters: { type: 'object', properties: {} },
              },
            },
          ],
        }
      : {}),
  };
}

async function call(caller) {
  const body = {
    model: Math.random() < 0.8 ? caller.model : 'auto',
    ...chatRequest(),
  };
  try {
    const res = await fetch(`${caller.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${caller.key}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
  } catch {
    // The gateway may still be starting; the next request tries again.
  }
}

async function injectFault() {
  const mode = pick(['outage', 'outage', 'rate-limit', 'slow', 'error']);
  await fetch(`http://127.0.0.1:${simulator.port}/admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      mode,
      model: pick(upstreamModels),
      remaining: 20 + Math.floor(Math.random() * 40),
      ...(mode === 'slow' ? { extraLatencyMs: 1500 } : {}),
      ...(mode === 'rate-limit' ? { retryAfterSeconds: 5 } : {}),
    }),
  }).catch(() => undefined);
}

async function main() {
  let sent = 0;
  while (Date.now() < deadline) {
    void call(pick(traffic));
    sent += 1;
    if (sent % 200 === 0) await injectFault();
    await new Promise(r => setTimeout(r, 1000 / REQUESTS_PER_SECOND));
  }
}

process.on('SIGTERM', () => process.exit(0));
main();
