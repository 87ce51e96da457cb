/** The part of node-postgres's connection a submitted query writes to. */
interface PgConnection {
  query(text: string): void;
}

/** The part of node-postgres's client that runs a custom query (a "submittable"). */
export interface PgClient {
  query(submittable: CopyOut): unknown;
  escapeLiteral(value: string): string;
}

/**
 * `COPY (query) TO STDOUT` on a node-postgres client, each row handed to `onRow` as the bytes
 * PostgreSQL sent (text format: tab-separated, `\N` for NULL, newline-terminated). A row
 * read this way costs a buffer slice, where the driver's own row parsing makes a string per
 * column and an array per row: most of a replay's time before (bench/replay).
 *
 * The client calls the `handle*` methods as the server answers; `done` settles once the
 * server is ready for the next query, or at the first error.
 */
export class CopyOut {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: Error) => void;
  private failed = false;

  constructor(
    private readonly text: string,
    private readonly onRow: (row: Buffer) => void,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: PgConnection): void {
    connection.query(this.text);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    if (this.failed) return;
    try {
      this.onRow(message.chunk);
    } catch (error) {
      // The rest of the rows still arrive; they are dropped and the copy fails as a whole.
      this.fail(error as Error);
    }
  }

  handleError(error: Error): void {
    this.fail(error);
  }

  handleReadyForQuery(): void {
    if (!this.failed) this.resolve();
  }

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  handleRowDescription(): void {
    this.fail(new Error('COPY answered with rows instead of copy data'));
  }

  handleDataRow(): void {}

  handlePortalSuspended(): void {}

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.reject(error);
  }
}
