import {
  checkAlertTimes,
  parseInput,
  refuseNulCharacters,
  scopeQuery,
  timeRangeQuery,
} from './validation';

describe('scope queries', () => {
  it('take a name or an entity ref, and answer by name', () => {
    expect(
      parseInput(
        scopeQuery,
        { cell: 'cell:default/eu-west-shared-1' },
        'query',
      ),
    ).toEqual({ cell: 'eu-west-shared-1' });
    expect(
      parseInput(
        scopeQuery,
        { tenant: 'tenant:northwind-retail', agent: 'checkout' },
        'query',
      ),
    ).toEqual({ tenant: 'northwind-retail', agent: 'checkout' });
  });

  it('name the field of a bad value', () => {
    expect(() => parseInput(scopeQuery, { cell: '' }, 'query')).toThrow(
      /^Invalid query: cell: /,
    );
  });
});

describe('refuseNulCharacters', () => {
  const run = (originalUrl: string, body?: unknown) => {
    let passed: unknown = 'not called';
    refuseNulCharacters()(
      { originalUrl, body } as never,
      {} as never,
      error => {
        passed = error;
      },
    );
    return passed;
  };

  it('names the query parameter or the path holding a NUL, and lets the rest through', () => {
    expect(String(run('/api/platform/decisions?tenant=x%00y'))).toContain(
      'Invalid query: tenant: must not hold a NUL character',
    );
    expect(String(run('/api/platform/cells/x%00y/runtime'))).toContain(
      'Invalid path: must not hold a NUL character',
    );
    expect(run('/api/platform/decisions?tenant=zürich')).toBeUndefined();
    expect(
      String(
        run('/api/platform/alerts/alertmanager', {
          alerts: [{ labels: { alertname: 'a\u0000b' } }],
        }),
      ),
    ).toContain('Invalid body: alerts.0.labels.alertname: must not hold a NUL');
    expect(run('/api/platform/replays', { cell: 'eu', n: [1, null] })).toBe(
      undefined,
    );
    // A target it cannot read is the routes' to answer, never a 500 here.
    expect(run('http://h:99999/api/platform/decisions')).toBeUndefined();
  });
});

describe('time ranges', () => {
  it('take the years 2000 to 2099, the end of 2099 included', () => {
    const range = timeRangeQuery(Date.UTC(2026, 0, 1), 3_600_000);
    expect(
      parseInput(
        range,
        { from: '2099-12-01T00:00:00Z', to: '2100-01-01T00:00:00Z' },
        'query',
      ),
    ).toEqual({
      from: Date.UTC(2099, 11, 1),
      to: Date.UTC(2100, 0, 1),
    });
    expect(() =>
      parseInput(range, { from: '1999-12-31T00:00:00Z' }, 'query'),
    ).toThrow(/from: must be in the years 2000 to 2099/);
  });
});

/** Alertmanager's endsAt of a firing alert. */
const NOT_ENDED = '0001-01-01T00:00:00Z';

describe('alert times', () => {
  it('take times that exist, and refuse a leap second or the 31st of February by field', () => {
    expect(() =>
      checkAlertTimes([
        { startsAt: '2026-06-30T23:59:59.123+02:00', endsAt: NOT_ENDED },
        { startsAt: '2026-06-30T23:59:60Z', endsAt: NOT_ENDED },
        { startsAt: '2024-02-31T00:00:00Z', endsAt: NOT_ENDED },
      ]),
    ).toThrow(
      'Invalid body: alerts.1.startsAt: must be a time that exists; alerts.2.startsAt: must be a time that exists',
    );
    expect(() =>
      checkAlertTimes([
        { startsAt: '2024-02-29T12:00:00Z', endsAt: NOT_ENDED },
      ]),
    ).not.toThrow();
  });

  it("check an endsAt other than Go's zero time, a leap second included", () => {
    expect(() =>
      checkAlertTimes([
        { startsAt: '2026-06-30T23:00:00Z', endsAt: '2026-06-30T23:59:60Z' },
      ]),
    ).toThrow('Invalid body: alerts.0.endsAt: must be a time that exists');
  });
});
