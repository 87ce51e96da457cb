import { encodeAttributes, encodeSpan } from './encodeSpan';
import { ProtobufWriter } from './ProtobufWriter';
import type { Attributes, EndedSpans, RecordedSpan } from './RecordedSpan';

/** One export request, ready to send: an `ExportTraceServiceRequest` and its span count. */
export interface SpanBatch {
  body: Uint8Array;
  spans: number;
}

export interface SpanBatchOptions {
  resource: Attributes;
  scope: { name: string; version?: string };
  /** A batch is sent when it holds this many spans, */
  maxSpans: number;
  /** or this many bytes (spans with captured prompts are large), */
  maxBytes: number;
  /** or this long after its first span. */
  delayMs: number;
  send(batch: SpanBatch): void;
  /** A span that could not be encoded, left out of its batch. */
  dropped(reason: string): void;
}

/**
 * Ended spans encoded at once into the export request under way, so that a span object
 * lives no longer than its request and a batch costs one buffer, not a thousand objects
 * kept for a second. The resource and scope are encoded once.
 */
export class SpanBatches implements EndedSpans {
  private readonly writer = new ProtobufWriter();
  private readonly preamble: { resource: Buffer; scope: Buffer };
  private count = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: SpanBatchOptions) {
    const writer = new ProtobufWriter();
    writer.beginMessage(1);
    encodeAttributes(writer, 1, options.resource);
    writer.endMessage();
    const resource = writer.take();
    writer.beginMessage(1);
    writer.string(1, options.scope.name);
    if (options.scope.version) writer.string(2, options.scope.version);
    writer.endMessage();
    this.preamble = { resource, scope: writer.take() };
  }

  add(span: RecordedSpan): void {
    if (this.closed) {
      // A request cut off by the stop ends after the last export: counted, not kept.
      this.options.dropped('the gateway had stopped exporting spans');
      return;
    }
    const mark = this.writer.mark();
    try {
      if (this.count === 0) this.open();
      encodeSpan(this.writer, 2, span);
    } catch (error) {
      // A span that cannot be written whole is left out, not sent half-written with the
      // rest of its batch; ending it must never fail the request it belongs to.
      this.writer.rollback(mark);
      this.options.dropped(String(error));
      return;
    }
    this.count += 1;
    if (
      this.count >= this.options.maxSpans ||
      this.writer.pos >= this.options.maxBytes
    ) {
      this.send();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.send(), this.options.delayMs);
      this.timer.unref();
    }
  }

  /** Sends the batch under way, if it holds a span. */
  send(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.count === 0) return;
    this.writer.endMessage(); // ScopeSpans
    this.writer.endMessage(); // ResourceSpans
    const batch = { body: this.writer.take(), spans: this.count };
    this.count = 0;
    this.options.send(batch);
  }

  /** Sends the batch under way; a span ended from now on is dropped, and counted. */
  close(): void {
    this.send();
    this.closed = true;
  }

  /** ExportTraceServiceRequest.resource_spans, then ResourceSpans.scope_spans, left open. */
  private open(): void {
    this.writer.beginMessage(1);
    this.writer.raw(this.preamble.resource);
    this.writer.beginMessage(2);
    this.writer.raw(this.preamble.scope);
  }
}
