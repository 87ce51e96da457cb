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

/** The wall clock in milliseconds, with the monotonic clock's resolution. */
export const epochMs = () => performance.timeOrigin + performance.now();

/**
 * One sampled span, as plain data: ids in hex, times in epoch milliseconds, attributes
 * as set. It is encoded for export once, when it ends; changes after that are ignored.
 */
export class RecordedSpan {
  readonly startMs = epochMs();
  endMs = 0;
  statusCode: number = STATUS_CODE.unset;
  statusMessage?: string;
  private ended = false;

  constructor(
    private readonly sink: EndedSpans,
    readonly traceId: string,
    readonly spanId: string,
    readonly parent: { spanId: string; remote: boolean } | undefined,
    public name: string,
    readonly kind: number,
    readonly attributes: Attributes = {},
  ) {}

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
    this.endMs = epochMs();
    this.sink.add(this);
  }
}
