import { rewordValidatorMessage } from './openApiInputErrors';

describe('rewordValidatorMessage', () => {
  it('names the field and the type a wrong-type query value should have', () => {
    expect(rewordValidatorMessage('request/query/limit must be integer')).toBe(
      'Invalid query: limit: must be an integer',
    );
    expect(
      rewordValidatorMessage('request/query/to must match format "date-time"'),
    ).toBe('Invalid query: to: must be an ISO 8601 timestamp');
  });

  it('says a missing parameter is required, and only then', () => {
    expect(
      rewordValidatorMessage(
        "request/query must have required property 'entityRef'",
      ),
    ).toBe('Invalid query: entityRef: is required');
  });

  it('names a query parameter the route does not have', () => {
    expect(rewordValidatorMessage("Unknown query parameter 'tenantt'")).toBe(
      'Invalid query: tenantt: is not a parameter of this route',
    );
  });

  it('keeps every problem, enum values included, apart by location', () => {
    expect(
      rewordValidatorMessage(
        'request/query/outcome must be equal to one of the allowed values: success, error, rejected, cancelled, request/body/prefix must match pattern "^[A-Za-z0-9_-]{4,16}$"',
      ),
    ).toBe(
      'Invalid query: outcome: expected one of success | error | rejected | cancelled; Invalid body: prefix: must match pattern "^[A-Za-z0-9_-]{4,16}$"',
    );
    expect(
      rewordValidatorMessage('request/params/token must match pattern "x"'),
    ).toBe('Invalid path: token: must match pattern "x"');
  });

  it("leaves messages that are not the validator's alone", () => {
    expect(
      rewordValidatorMessage('Invalid query: from: must be before to'),
    ).toBe(undefined);
    expect(rewordValidatorMessage('request entity too large')).toBe(undefined);
  });
});
