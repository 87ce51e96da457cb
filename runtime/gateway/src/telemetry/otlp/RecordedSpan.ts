/** What a span attribute may hold: the types the gateway records. */
export type AttributeValue = string | number | boolean | string[];

export type Attributes = Record<string, AttributeValue>;

/** OTLP's span kinds. */
export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

/** OTLP's status codes. */
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

/** Where an ended span goes: its batch for export. */
export interface EndedSpans {
  add(span: RecordedSpan): void;
}

/**
 * The wall clock's offset from the monotonic clock now, read once per request: its spans
 * are placed on the wall clock as it reads at the request's start (so they line up with the
 * caller's and the upstream's, however long the process has run) and timed by the
 * monotonic clock (so their lengths are exact).
 */
export const wallClockAnchor = () => Date.now() - performance.now();

/**
 * One sampled span, as plain data: ids in hex, times in epoch milliseconds, attributes
 * as set. It is encoded for export once, when it ends; changes after that are ignored.
 */
export class RecordedSpan {
  readonly startMs: number;
  endMs = 0;
  statusCode: number = STATUS_CODE.unset;
  statusMessage?: string;
  private ended = false;

  constructor(
    private readonly sink: EndedSpans,
    /** `wallClockAnchor()` at the start of the span's request. */
    readonly anchorMs: number,
    readonly traceId: string,
    readonly spanId: string,
    readonly parent: { spanId: string; remote: boolean } | undefined,
    public name: string,
    readonly kind: number,
    readonly attributes: Attributes = {},
  ) {
    this.startMs = anchorMs + performance.now();
  }

  setAttribute(key: string, value: AttributeValue): void {
    if (!this.ended) this.attributes[key] = value;
  }

  setAttributes(attributes: Attributes): void {
    if (!this.ended) Object.assign(this.attributes, attributes);
  }

  /** Marks the span failed, with an optional description. */
  setError(message?: string): void {
    this.statusCode = STATUS_CODE.error;
    this.statusMessage = message;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.endMs = this.anchorMs + performance.now();
    this.sink.add(this);
  }
}
