import {
  decodeOtlpTraces,
  ReceivedSpan,
} from '../../__testUtils__/decodeOtlpTraces';
import {
  RecordedSpan,
  SPAN_KIND,
  STATUS_CODE,
  wallClockAnchor,
} from './RecordedSpan';
import { SpanBatch, SpanBatches } from './SpanBatches';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function batches(overrides: { maxSpans?: number; maxBytes?: number } = {}) {
  const sent: SpanBatch[] = [];
  const dropped: string[] = [];
  const spanBatches = new SpanBatches({
    resource: {
      'service.name': 'gateway-under-test',
      'service.instance.id': 'g-1',
    },
    scope: { name: '@cellport/gateway', version: '1.2.3' },
    maxSpans: overrides.maxSpans ?? 1000,
    maxBytes: overrides.maxBytes ?? 1 << 20,
    delayMs: 30,
    send: batch => sent.push(batch),
    dropped: reason => dropped.push(reason),
  });
  return { spanBatches, sent, dropped };
}

const decoded = (sent: SpanBatch[]): ReceivedSpan[] =>
  sent.flatMap(batch => decodeOtlpTraces(Buffer.from(batch.body)));

function span(sink: SpanBatches, spanId: string, attributes = {}) {
  return new RecordedSpan(
    sink,
    wallClockAnchor(),
    TRACE,
    spanId,
    { spanId: '00f067aa0ba902b7', remote: true },
    'chat',
    SPAN_KIND.server,
    attributes,
  );
}

describe('SpanBatches', () => {
  it('encodes each span as OTLP protobuf: ids, parent, kind, status, every attribute type, resource and scope', () => {
    const { spanBatches, sent } = batches();
    const root = span(spanBatches, 'a000000000000001', {
      'gen_ai.operation.name': 'chat',
    });
    // One of each type OTLP's AnyValue holds: int, string array, double, bool, non-ASCII
    // string, negative int.
    const everyType = {
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.response.finish_reasons': ['stop', 'length'],
      'cellport.cost_usd': 0.000125,
      'cellport.attempt.skipped': false,
      'cellport.tenant': 'northwind – Zürich 数',
      'cellport.offset': -3,
    };
    root.setAttributes(everyType);
    root.setError('upstream said 500');
    root.name = 'chat auto';
    root.end();
    root.setAttribute('after.end', 'ignored');
    spanBatches.send();

    expect(sent).toHaveLength(1);
    expect(sent[0].spans).toBe(1);
    const [received] = decoded(sent);
    expect(received).toMatchObject({
      traceId: TRACE,
      spanId: 'a000000000000001',
      parentSpanId: '00f067aa0ba902b7',
      name: 'chat auto',
      kind: SPAN_KIND.server,
      statusCode: STATUS_CODE.error,
      statusMessage: 'upstream said 500',
      flags: 0x301,
      resource: {
        'service.name': 'gateway-under-test',
        'service.instance.id': 'g-1',
      },
      scope: '@cellport/gateway',
      attributes: { 'gen_ai.operation.name': 'chat', ...everyType },
    });
    expect(received.attributes['after.end']).toBeUndefined();
    expect(received.endTimeUnixNano).toBeGreaterThanOrEqual(
      received.startTimeUnixNano,
    );
  });

  it('sends a batch when it reaches its span count or its byte size, and the rest after its delay', async () => {
    const { spanBatches, sent } = batches({ maxSpans: 3, maxBytes: 4096 });
    for (let i = 0; i < 7; i++) {
      span(spanBatches, `b00000000000000${i}`).end();
    }
    expect(sent.map(batch => batch.spans)).toEqual([3, 3]);
    // One span carrying a captured prompt fills a batch by itself.
    span(spanBatches, 'c000000000000001', {
      'gen_ai.input.messages': 'p'.repeat(5000),
    }).end();
    expect(sent.map(batch => batch.spans)).toEqual([3, 3, 2]);
    span(spanBatches, 'c000000000000002').end();
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(sent.map(batch => batch.spans)).toEqual([3, 3, 2, 1]);
    const ids = decoded(sent).map(s => s.spanId);
    expect(ids).toHaveLength(9);
    expect(new Set(ids).size).toBe(9);
    // Every batch stands alone: its own resource and scope.
    for (const batch of sent) {
      expect(
        decodeOtlpTraces(Buffer.from(batch.body))[0].resource['service.name'],
      ).toBe('gateway-under-test');
    }
    spanBatches.send();
    expect(sent).toHaveLength(4);
  });

  it('sends what it holds when closed, and counts as dropped a span that ends afterwards', () => {
    const { spanBatches, sent, dropped } = batches();
    span(spanBatches, 'c000000000000001').end();
    spanBatches.close();
    expect(decoded(sent).map(s => s.spanId)).toEqual(['c000000000000001']);
    span(spanBatches, 'c000000000000002').end();
    spanBatches.send();
    expect(sent).toHaveLength(1);
    expect(dropped).toEqual(['the gateway had stopped exporting spans']);
  });

  it('sends a span once, however often it is ended', () => {
    const { spanBatches, sent } = batches();
    const once = span(spanBatches, 'd000000000000001');
    once.end();
    once.end();
    spanBatches.send();
    expect(decoded(sent)).toHaveLength(1);
  });

  it('leaves out attribute values OTLP cannot hold, and a span that cannot be encoded, whole, from a batch that stays readable', () => {
    const { spanBatches, sent, dropped } = batches();
    // The first span of a batch fails: the batch's opening goes with it.
    const broken = span(spanBatches, 'f000000000000001');
    (broken as { name: unknown }).name = { not: 'a string' };
    broken.end();
    const odd = span(spanBatches, 'f000000000000002', {
      kept: 'yes',
      nothing: null,
      object: { a: 1 },
      big: BigInt(1),
      holes: ['a', null],
      list: ['a', 'b'],
    } as never);
    odd.end();
    span(spanBatches, 'f000000000000003').end();
    spanBatches.send();

    expect(dropped).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(sent[0].spans).toBe(2);
    const spans = decoded(sent);
    expect(spans.map(s => s.spanId)).toEqual([
      'f000000000000002',
      'f000000000000003',
    ]);
    expect(spans[0].attributes).toEqual({ kept: 'yes', list: ['a', 'b'] });
  });
});
