/**
 * What a failed database call means, decided once for every caller: ingest sets apart the
 * events whose data the database refuses, and every route answers 503 (send it again) when the
 * database cannot answer now.
 */

/** The `code` a database driver or Node's socket layer put on an error, or ''. */
function codeOf(error: unknown): string {
  return String((error as { code?: unknown })?.code ?? '');
}

/**
 * Whether the database refused the data itself (a value too long, an index row too large, a
 * missing value), which storing it again will never change. PostgreSQL's SQLSTATE classes 22,
 * 23 and 54; SQLite's codes.
 */
export function refusesData(error: unknown): boolean {
  const code = codeOf(error);
  return (
    /^(22|23|54)[0-9A-Z]{3}$/.test(code) ||
    /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/.test(code)
  );
}

/**
 * Whether the database could not answer now, so the same request may pass on a retry: the
 * connection refused, reset or lost (a restart, a failover, a backend terminated), no pooled
 * connection free in time, the server shutting down or out of connections, a deadlock or
 * serialization failure (PostgreSQL's SQLSTATE classes 08 and 53, 57P01-57P03, 40001, 40P01),
 * a locked SQLite file. A statement the database refuses (bad SQL, a missing table, the data)
 * fails again on a retry and is not one. pg raises a refused or lost connection as Node's bare
 * socket error, so those codes also hold for another client's socket (a fetch): a caller
 * answering this must not say it was the database.
 */
export function databaseUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (
    /^(08|53)[0-9A-Z]{3}$|^57P0[1-3]$|^40001$|^40P01$/.test(code) ||
    /^E(CONNRESET|CONNREFUSED|CONNABORTED|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$/.test(
      code,
    ) ||
    /^SQLITE_(BUSY|LOCKED)/.test(code)
  ) {
    return true;
  }
  const { name, message } = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
  };
  // Neither knex's pool timeout nor node-postgres' lost connection carries a code.
  return (
    name === 'KnexTimeoutError' ||
    /Connection terminated|is not queryable/.test(String(message ?? ''))
  );
}
