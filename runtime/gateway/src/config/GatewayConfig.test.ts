import { readGatewayConfig, shownUrl } from './GatewayConfig';

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

  it('reads the keep-alive timeout and the spool cap, refusing values that defeat them', () => {
    expect(readGatewayConfig({}).keepAliveTimeoutMs).toBe(65_000);
    expect(
      readGatewayConfig({ GATEWAY_KEEP_ALIVE_TIMEOUT_MS: '5000' })
        .keepAliveTimeoutMs,
    ).toBe(5000);
    expect(() =>
      readGatewayConfig({ GATEWAY_KEEP_ALIVE_TIMEOUT_MS: '0' }),
    ).toThrow(/GATEWAY_KEEP_ALIVE_TIMEOUT_MS must be from 1 to 2147483647/);
    expect(
      readGatewayConfig({ GATEWAY_SPOOL_MAX_BYTES: '2097152' }).events
        .spoolMaxBytes,
    ).toBe(2097152);
    for (const tiny of ['0', '4096']) {
      expect(() =>
        readGatewayConfig({ GATEWAY_SPOOL_MAX_BYTES: tiny }),
      ).toThrow(/GATEWAY_SPOOL_MAX_BYTES must be at least 1048576/);
    }
  });

  it("reads the bound on buffered bytes: at least one request's largest body and answer", () => {
    expect(readGatewayConfig({}).maxBufferedBytes).toBe(1024 * 1024 * 1024);
    expect(
      readGatewayConfig({ GATEWAY_MAX_BUFFERED_BYTES: '300000000' })
        .maxBufferedBytes,
    ).toBe(300_000_000);
    // One request of the largest body (1 MiB) and answer (256 MiB) must fit.
    expect(() =>
      readGatewayConfig({ GATEWAY_MAX_BUFFERED_BYTES: '268435456' }),
    ).toThrow(/GATEWAY_MAX_BUFFERED_BYTES must be at least 269484032/);
    // A larger answer cap raises the default with it.
    expect(
      readGatewayConfig({
        GATEWAY_UPSTREAM_MAX_ANSWER_BYTES: String(2 * 1024 * 1024 * 1024),
      }).maxBufferedBytes,
    ).toBe(2 * 1024 * 1024 * 1024 + 1024 * 1024);
  });

  it.each([
    // 0 would turn off what they bound (every JSON answer would be late).
    ['GATEWAY_UPSTREAM_TIMEOUT_MS', '0'],
    ['GATEWAY_UPSTREAM_IDLE_TIMEOUT_MS', '0'],
    ['GATEWAY_CLIENT_STALL_TIMEOUT_MS', '0'],
    ['GATEWAY_REQUEST_TIMEOUT_MS', '0'],
    ['GATEWAY_EVENTS_FLUSH_MS', '0'],
    // Past what a Node timer holds, a delay fires at once: a drain would last 1 ms.
    ['GATEWAY_DRAIN_TIMEOUT_MS', '3000000000'],
    ['GATEWAY_UPSTREAM_TIMEOUT_MS', '2147483648'],
    ['GATEWAY_KEEP_ALIVE_TIMEOUT_MS', '9999999999'],
  ])('refuses %s=%s, naming the range', (name, value) => {
    expect(() => readGatewayConfig({ [name]: value })).toThrow(
      new RegExp(`${name} must be from \\d+ to 2147483647 milliseconds`),
    );
  });

  it('takes a drain of 0 (cut at once) and the longest a timer holds', () => {
    expect(
      readGatewayConfig({ GATEWAY_DRAIN_TIMEOUT_MS: '0' }).drainTimeoutMs,
    ).toBe(0);
    expect(
      readGatewayConfig({ GATEWAY_DRAIN_TIMEOUT_MS: '2147483647' })
        .drainTimeoutMs,
    ).toBe(2_147_483_647);
  });

  it('names the variable at fault', () => {
    expect(() => readGatewayConfig({ GATEWAY_PORT: 'eighty' })).toThrow(
      /GATEWAY_PORT/,
    );
    expect(() => readGatewayConfig({ GATEWAY_PORT: '99999' })).toThrow(
      /GATEWAY_PORT must be from 0 to 65535/,
    );
    expect(() => readGatewayConfig({ LOG_LEVEL: 'bogus' })).toThrow(
      /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/,
    );
    expect(readGatewayConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(() => readGatewayConfig({ GATEWAY_METRICS_PORT: '70000' })).toThrow(
      /GATEWAY_METRICS_PORT must be from 0 to 65535/,
    );
    expect(() =>
      readGatewayConfig({ GATEWAY_PORT: '7080', GATEWAY_METRICS_PORT: '7080' }),
    ).toThrow(/GATEWAY_METRICS_PORT must differ from GATEWAY_PORT \(7080\)/);
    expect(readGatewayConfig({}).metricsPort).toBeUndefined();
    expect(
      readGatewayConfig({ GATEWAY_METRICS_PORT: '9464' }).metricsPort,
    ).toBe(9464);
    expect(() => readGatewayConfig({ GATEWAY_CACHE: 'maybe' })).toThrow(
      /GATEWAY_CACHE must be one of on, off/,
    );
    // 0 started a gateway that refused every request with 413.
    expect(() => readGatewayConfig({ GATEWAY_MAX_BODY_BYTES: '0' })).toThrow(
      /GATEWAY_MAX_BODY_BYTES must be at least 1024/,
    );
  });

  it('never repeats the credentials of a URL it refuses', () => {
    for (const [name, value] of [
      ['GATEWAY_EVENTS_URL', 'htps://portal:S3cretPortal@portal.example'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://otel:S3cretOtel@collector:4317'],
      ['GATEWAY_UPSTREAM_ORIGIN_OVERRIDE', 'sim:S3cretSim@127.0.0.1:7070'],
    ]) {
      let message = '';
      try {
        readGatewayConfig({ [name]: value });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(name);
      expect(message).not.toMatch(/S3cret/);
    }
    expect(shownUrl('https://otel:pass@collector:4318/v1/traces')).toBe(
      'https://***@collector:4318/v1/traces',
    );
    expect(shownUrl('http://collector:4318/v1/traces?a=b@c')).toBe(
      'http://collector:4318/v1/traces?a=b@c',
    );
    // Typos and passwords with the characters that end an authority.
    expect(shownUrl('http:/user:pass@host')).toBe('http://***@host/');
    expect(shownUrl('http://u:p@ss@host/x')).toBe('http://***@host/x');
    for (const raw of ['http://u:p/ss@host', 'sim:S3cret@127.0.0.1:7070']) {
      expect(shownUrl(raw)).not.toMatch(/ss@|S3cret/);
    }
  });

  it('reads the OpenTelemetry variables: tracing is off without an endpoint', () => {
    expect(readGatewayConfig({}).telemetry).toEqual({
      otlpTracesEndpoint: undefined,
      sampleRatio: 1,
      serviceName: 'cellport-gateway',
    });
    expect(
      readGatewayConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }).telemetry,
    ).toMatchObject({
      otlpTracesEndpoint: 'http://collector:4318/v1/traces',
      sampleRatio: 0.25,
    });
    expect(
      readGatewayConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://other:4318/traces',
      }).telemetry?.otlpTracesEndpoint,
    ).toBe('http://other:4318/traces');
    expect(
      readGatewayConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_SDK_DISABLED: 'true',
      }).telemetry?.otlpTracesEndpoint,
    ).toBeUndefined();
    // Each was dropped silently: a collector's auth header gone, tracing left on.
    for (const [name, value, message] of [
      ['OTEL_SDK_DISABLED', 'yes', /OTEL_SDK_DISABLED must be true or false/],
      [
        'OTEL_EXPORTER_OTLP_TIMEOUT',
        'abc',
        /OTEL_EXPORTER_OTLP_TIMEOUT must be a non-negative integer/,
      ],
      [
        'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION',
        'zip',
        /OTEL_EXPORTER_OTLP_TRACES_COMPRESSION must be one of gzip, none/,
      ],
      [
        'OTEL_EXPORTER_OTLP_HEADERS',
        'Bearer s3cret',
        /OTEL_EXPORTER_OTLP_HEADERS must be key=value pairs separated by commas$/,
      ],
    ] as const) {
      expect(() =>
        readGatewayConfig({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
          [name]: value,
        }),
      ).toThrow(message);
    }
    expect(
      readGatewayConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t,x-scope=a',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
        OTEL_SDK_DISABLED: 'FALSE',
      }).telemetry?.otlpTracesEndpoint,
    ).toBe('http://collector:4318/v1/traces');
    expect(() => readGatewayConfig({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/,
    );
    expect(() =>
      readGatewayConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }),
    ).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/);
    const collector = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(
      readGatewayConfig({
        ...collector,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      }).telemetry?.otlpTracesEndpoint,
    ).toBeDefined();
    expect(() =>
      readGatewayConfig({
        ...collector,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      }),
    ).toThrow(
      /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http\/protobuf .*got "grpc"/,
    );
    expect(() =>
      readGatewayConfig({
        ...collector,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      }),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf/);
    // The traces variable overrides the general one, as the specification says; and with
    // tracing off neither matters (a cluster-wide grpc setting must not stop the gateway).
    expect(
      readGatewayConfig({
        ...collector,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      }).telemetry?.otlpTracesEndpoint,
    ).toBe('http://collector:4318/v1/traces');
    expect(
      readGatewayConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).telemetry
        ?.otlpTracesEndpoint,
    ).toBeUndefined();
    expect(
      readGatewayConfig({
        ...collector,
        OTEL_SDK_DISABLED: 'true',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      }).telemetry?.otlpTracesEndpoint,
    ).toBeUndefined();
  });

  it('takes a segment size the portal can ingest, and names the variable otherwise', () => {
    expect(
      readGatewayConfig({ GATEWAY_EVENTS_SEGMENT_EVENTS: '250' }).events
        .segmentEvents,
    ).toBe(250);
    expect(readGatewayConfig({}).events.segmentEvents).toBe(1000);
    for (const bad of ['0', '2001', 'many']) {
      expect(() =>
        readGatewayConfig({ GATEWAY_EVENTS_SEGMENT_EVENTS: bad }),
      ).toThrow(/GATEWAY_EVENTS_SEGMENT_EVENTS/);
    }
  });

  it('refuses a replica name no event could carry to the portal', () => {
    expect(readGatewayConfig({ GATEWAY_ID: 'gw-a'.repeat(32) }).gatewayId).toBe(
      'gw-a'.repeat(32),
    );
    expect(() => readGatewayConfig({ GATEWAY_ID: 'g'.repeat(129) })).toThrow(
      /GATEWAY_ID must be at most 128 characters/,
    );
    expect(() => readGatewayConfig({ GATEWAY_ID: 'gw\u0000a' })).toThrow(
      /GATEWAY_ID/,
    );
  });

  it.each([
    // A templated value rendered blank is no number: not port 0 (a random port), a drain of
    // 0 (cut everything at once) or an empty cache.
    ['GATEWAY_PORT', ' '],
    ['GATEWAY_PORT', '-1'],
    ['GATEWAY_METRICS_PORT', ' '],
    ['GATEWAY_DRAIN_TIMEOUT_MS', ' '],
    ['GATEWAY_DRAIN_TIMEOUT_MS', '0x50'],
    ['GATEWAY_MAX_BODY_BYTES', '1e6'],
    ['GATEWAY_CACHE_MAX_BYTES', '\t'],
    ['GATEWAY_UPSTREAM_TIMEOUT_MS', '5000.5'],
    ['GATEWAY_EVENTS_SEGMENT_EVENTS', '+250'],
  ])('refuses %s=%j, a number not written in digits', (name, value) => {
    expect(() => readGatewayConfig({ [name]: value })).toThrow(
      new RegExp(`${name} must be a non-negative integer`),
    );
  });

  it('takes a sampling ratio written as a decimal, and nothing else', () => {
    expect(
      readGatewayConfig({ OTEL_TRACES_SAMPLER_ARG: '.5' }).telemetry
        ?.sampleRatio,
    ).toBe(0.5);
    expect(
      readGatewayConfig({ OTEL_TRACES_SAMPLER_ARG: '0' }).telemetry
        ?.sampleRatio,
    ).toBe(0);
    for (const written of [' ', '0x1']) {
      expect(() =>
        readGatewayConfig({ OTEL_TRACES_SAMPLER_ARG: written }),
      ).toThrow(/OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/);
    }
  });

  it.each([
    ['GATEWAY_EVENTS_URL', 'portal:7007'],
    ['GATEWAY_EVENTS_URL', 'not-a-url'],
    ['GATEWAY_UPSTREAM_ORIGIN_OVERRIDE', '127.0.0.1:7070'],
    ['GATEWAY_UPSTREAM_ORIGIN_OVERRIDE', 'not a url'],
    ['GATEWAY_REDIS_URL', 'http://redis:6379'],
    ['GATEWAY_REDIS_URL', 'not a url'],
    ['GATEWAY_NATS_URL', 'not a url'],
    ['GATEWAY_NATS_URL', '127.0.0.1:4222,http://nats:4222'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://[bad'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector/v1/traces'],
  ])('refuses %s=%j, naming it, as no address it can use', (name, value) => {
    expect(() => readGatewayConfig({ [name]: value })).toThrow(
      new RegExp(`environment variable ${name} must be`),
    );
  });

  it('takes the addresses the README gives as examples', () => {
    expect(
      readGatewayConfig({
        GATEWAY_UPSTREAM_ORIGIN_OVERRIDE: 'http://127.0.0.1:7070',
        GATEWAY_REDIS_URL: 'rediss://:pass@redis.cell:6380/0',
        GATEWAY_NATS_URL: '127.0.0.1:4222,nats://a:4222,tls://b:4222',
        GATEWAY_EVENTS_URL: 'https://portal.example',
      }),
    ).toMatchObject({
      upstreamOriginOverride: 'http://127.0.0.1:7070',
      redisUrl: 'rediss://:pass@redis.cell:6380/0',
      events: {
        natsUrl: '127.0.0.1:4222,nats://a:4222,tls://b:4222',
        portalUrl: 'https://portal.example',
      },
    });
  });

  it.each([
    ['GATEWAY_REDIS_URL', 'redis://:s3cret-pass@[bad:6379/0'],
    ['GATEWAY_REDIS_URL', 'http://:s3cret-pass@redis:6379'],
    ['GATEWAY_NATS_URL', 'nats://gw:s3cret-pass@[bad:4222'],
    ['GATEWAY_NATS_URL', '127.0.0.1:4222,http://gw:s3cret-pass@nats:4222'],
  ])('does not repeat %s it refuses: it may hold a password', (name, value) => {
    let refusal = 'taken';
    try {
      readGatewayConfig({ [name]: value });
    } catch (error) {
      refusal = (error as Error).message;
    }
    expect(refusal).toMatch(new RegExp(`environment variable ${name} must`));
    expect(refusal).not.toContain('s3cret-pass');
  });

  it('takes a blank admin token for none: the control API then refuses every call', () => {
    expect(
      readGatewayConfig({ GATEWAY_ADMIN_TOKEN: '' }).adminToken,
    ).toBeUndefined();
  });
});
