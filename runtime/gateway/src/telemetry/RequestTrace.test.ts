import { RequestRecord } from '../events/RequestRecord';
import { newSpanId, newTraceId } from './otlp/ids';
import { RecordedSpan, SPAN_KIND, wallClockAnchor } from './otlp/RecordedSpan';
import { RequestTrace } from './RequestTrace';
import { testState } from '../__testUtils__/fixtures';

function requestTrace(captureContent = false) {
  const ended: RecordedSpan[] = [];
  const sink = { add: (span: RecordedSpan) => ended.push(span) };
  const root = new RecordedSpan(
    sink,
    wallClockAnchor(),
    newTraceId(),
    newSpanId(),
    undefined,
    'chat',
    SPAN_KIND.server,
  );
  const record = new RequestRecord('req-1', Date.now(), {
    gateway: 'gw-1',
    cell: 'eu-west-shared-1',
    tenant: 'brightpath',
    stateVersion: 'v1',
  });
  return {
    trace: new RequestTrace(sink, root, 'chat', captureContent),
    record,
    ended,
  };
}

describe('RequestTrace', () => {
  it('says on the request span that the prompt cache answered, and with which profile', () => {
    const { trace, record, ended } = requestTrace();
    trace.routingStarted();
    trace.routingEnded(record);
    record.cached = true;
    record.chosen = 'us-large';
    trace.end(record, undefined);

    const root = ended.find(span => span.kind === SPAN_KIND.server)!;
    expect(root.attributes).toMatchObject({
      'cellport.cache_hit': true,
      'cellport.model_profile': 'us-large',
    });
    // No upstream was called: no attempt span, and no provider on the request's.
    expect(ended.map(span => span.name)).toEqual(['route', 'chat unknown']);
    expect(root.attributes['gen_ai.provider.name']).toBeUndefined();
  });

  it('leaves the cache out of a request the upstream answered', () => {
    const { trace, record, ended } = requestTrace();
    record.chosen = 'us-large';
    trace.end(record, undefined);
    expect(ended[0].attributes['cellport.cache_hit']).toBeUndefined();
  });

  it("keeps what a failed upstream quoted out of the attempt's span unless the tenant opts in", () => {
    const profile = testState('http://127.0.0.1:1').modelProfiles[0];
    // OpenAI-style servers echo the offending input in a 400.
    const failure = {
      kind: 'failure' as const,
      failure: {
        errorClass: 'invalid-request' as const,
        status: 400,
        retriable: false,
        message:
          "upstream rejected the request: Invalid 'messages[0].content': 'Kontonummer 4711'",
      },
    };
    for (const captureContent of [false, true]) {
      const { trace, record, ended } = requestTrace(captureContent);
      trace.attemptStarted(profile);
      trace.attemptEnded(failure);
      trace.end(record, undefined);
      const attempt = ended.find(span => span.kind === SPAN_KIND.client)!;
      expect(attempt.statusCode).toBe(2);
      expect(attempt.attributes).toMatchObject({
        'error.type': 'invalid-request',
        'http.response.status_code': 400,
      });
      expect(JSON.stringify(ended).includes('Kontonummer')).toBe(
        captureContent,
      );
    }
  });
});
