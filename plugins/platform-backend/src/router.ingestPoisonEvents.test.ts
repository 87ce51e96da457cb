import {
  createTestDatabases,
  makeUsage,
} from '@cellport/plugin-platform-node-test-utils';
import { postEvents, recent } from './__testUtils__/ingestEvents';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';

jest.setTimeout(120_000);

/**
 * One event no gateway should send, beside valid ones in its batch, is refused alone, by index
 * and field, and the others are stored: a 400 would have the gateway set the whole batch (a
 * thousand requests' cost) aside for good, a 500 have it retry the batch forever. Each poison
 * is written into the raw JSON body (escapes a JSON encoder would not write, whole values
 * replaced) and goes through the whole backend on PostgreSQL, which cannot store a NUL.
 * parseEventBatch.test.ts pins the wording of the refusals.
 */
describe('platform router: a poison event in a batch', () => {
  const databases = createTestDatabases();

  it('refuses a poison event beside valid ones by index and field (200, the others stored), never a 500 or a whole-batch 400', async () => {
    const knex = await databases.init('POSTGRES_16');
    const { server } = await startPlatformBackend(knex);
    const usage = () => makeUsage({ timestamp: recent(), costUsd: 1 });
    // Raw JSON fragments replacing the event's "gateway" value, or whole events.
    const poisons: Array<[string, (json: string) => string, RegExp]> = [
      [
        'a NUL escape in gateway',
        j =>
          j.replace(
            '"gateway":"gw-eu-west-shared-1-0"',
            '"gateway":"gw\\u0000x"',
          ),
        /events\[1\]\.gateway/,
      ],
      [
        'a lone surrogate in provider',
        j => j.replace('"provider":"azure-openai"', '"provider":"a\\ud800b"'),
        /events\[1\]\.provider/,
      ],
      [
        'negative tokens',
        j => j.replace('"inputTokens":800', '"inputTokens":-1'),
        /events\[1\]\.inputTokens/,
      ],
      [
        'tokens of 1e308',
        j => j.replace('"inputTokens":800', '"inputTokens":1e308'),
        /events\[1\]\.inputTokens/,
      ],
      [
        'fractional tokens',
        j => j.replace('"inputTokens":800', '"inputTokens":1.5'),
        /events\[1\]\.inputTokens/,
      ],
      [
        'a negative cost',
        j => j.replace(/"costUsd":1/, '"costUsd":-1'),
        /events\[1\]\.costUsd/,
      ],
      [
        'a negative latency',
        j => j.replace('"totalLatencyMs":660', '"totalLatencyMs":-5'),
        /events\[1\]\.totalLatencyMs/,
      ],
      [
        'a 2 MB gateway name',
        j =>
          j.replace(
            '"gateway":"gw-eu-west-shared-1-0"',
            `"gateway":"${'g'.repeat(2_000_000)}"`,
          ),
        /events\[1\]\.gateway/,
      ],
      [
        'a date in 1970',
        j =>
          j.replace(
            /"timestamp":"[^"]+"/,
            '"timestamp":"1970-01-01T00:00:00Z"',
          ),
        /events\[1\]\.timestamp/,
      ],
      [
        'a date in 2100',
        j =>
          j.replace(
            /"timestamp":"[^"]+"/,
            '"timestamp":"2100-01-01T00:00:00Z"',
          ),
        /events\[1\]\.timestamp/,
      ],
      [
        'an unknown kind',
        j => j.replace('"type":"usage"', '"type":"audit"'),
        /events\[1\]\.type/,
      ],
      [
        'a string for a number',
        j => j.replace('"status":200', '"status":"200"'),
        /events\[1\]\.status/,
      ],
      [
        'an id with a slash',
        j => j.replace(/"id":"([^"]+)"/, '"id":"$1/x"'),
        /events\[1\]\.id/,
      ],
      ['null as an event', () => 'null', /events\[1\]/],
    ];
    const results = [];
    for (const [what, poison, field] of poisons) {
      const good1 = usage();
      const good2 = usage();
      const body = `{"events":[${JSON.stringify(good1)},${poison(
        JSON.stringify(usage()),
      )},${JSON.stringify(good2)}]}`;
      const answer = await postEvents(server, body);
      results.push({
        what,
        status: answer.status,
        stored: answer.body.stored,
        rejected: answer.body.rejections?.map(
          (r: { index: number; message: string }) => [
            r.index,
            field.test(r.message),
          ],
        ),
      });
    }
    expect(results).toEqual(
      poisons.map(([what]) => ({
        what,
        status: 200,
        stored: 2,
        rejected: [[1, true]],
      })),
    );
  });
});
