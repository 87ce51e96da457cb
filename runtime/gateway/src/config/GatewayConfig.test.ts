import { readGatewayConfig } from './GatewayConfig';

describe('readGatewayConfig', () => {
  it('has working defaults with nothing set', () => {
    const config = readGatewayConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 7080,
      events: { transport: 'off' },
      cache: { enabled: false },
      redisUrl: undefined,
    });
  });

  it('picks the event transport from what is configured', () => {
    expect(
      readGatewayConfig({ GATEWAY_EVENTS_URL: 'http://portal' }).events
        .transport,
    ).toBe('http');
    expect(
      readGatewayConfig({ GATEWAY_NATS_URL: '127.0.0.1:4222' }).events
        .transport,
    ).toBe('nats');
  });

  it('reads the client timeouts and the cache byte cap', () => {
    expect(readGatewayConfig({})).toMatchObject({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      cache: { maxBytes: 64 * 1024 * 1024 },
    });
    expect(
      readGatewayConfig({
        GATEWAY_HEADERS_TIMEOUT_MS: '2000',
        GATEWAY_REQUEST_TIMEOUT_MS: '5000',
        GATEWAY_CACHE_MAX_BYTES: '1048576',
      }),
    ).toMatchObject({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      cache: { maxBytes: 1048576 },
    });
    // Node refuses a headers timeout above the request timeout; 0 would turn it off.
    expect(() =>
      readGatewayConfig({
        GATEWAY_HEADERS_TIMEOUT_MS: '9000',
        GATEWAY_REQUEST_TIMEOUT_MS: '5000',
      }),
    ).toThrow(/GATEWAY_HEADERS_TIMEOUT_MS/);
    expect(() =>
      readGatewayConfig({ GATEWAY_HEADERS_TIMEOUT_MS: '0' }),
    ).toThrow(/GATEWAY_HEADERS_TIMEOUT_MS/);
  });

  it('names the variable at fault', () => {
    expect(() => readGatewayConfig({ GATEWAY_PORT: 'eighty' })).toThrow(
      /GATEWAY_PORT/,
    );
    expect(() => readGatewayConfig({ GATEWAY_CACHE: 'maybe' })).toThrow(
      /GATEWAY_CACHE must be one of on, off/,
    );
  });
});
