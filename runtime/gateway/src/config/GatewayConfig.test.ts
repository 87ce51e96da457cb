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

  it('names the variable at fault', () => {
    expect(() => readGatewayConfig({ GATEWAY_PORT: 'eighty' })).toThrow(
      /GATEWAY_PORT/,
    );
    expect(() => readGatewayConfig({ GATEWAY_CACHE: 'maybe' })).toThrow(
      /GATEWAY_CACHE must be one of on, off/,
    );
  });
});
