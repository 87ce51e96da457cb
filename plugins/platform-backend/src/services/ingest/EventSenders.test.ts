import { mockCredentials } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { makeUsage } from '@cellport/plugin-platform-node-test-utils';
import { EventSenders } from './EventSenders';

/**
 * Who may post events is read from the principal Backstage makes of the token: a static
 * external access token's subject comes as configured (`cellport-gateway`), a JWKS one's as
 * `external:...`, a backend plugin's own token as `plugin:<id>`.
 */
describe('EventSenders', () => {
  const staticToken = mockCredentials.service('gateway-eu-west');
  const jwksToken = mockCredentials.service('external:gateway-us-east');
  const pluginToken = mockCredentials.service('plugin:catalog');
  const eu = makeUsage({ cell: 'eu-west-shared-1' });
  const us = makeUsage({ cell: 'us-east-shared-1' });

  it("takes any gateway's events for any cell when no cells are configured, and no plugin's", () => {
    const senders = EventSenders.fromConfig(new ConfigReader({}));
    expect(senders.checkFor(staticToken)).toBeUndefined();
    expect(senders.checkFor(jwksToken)).toBeUndefined();
    expect(() => senders.checkFor(pluginToken)).toThrow(
      'events come from gateways, with an external access token; plugin:catalog may not post them',
    );
  });

  it('keeps each configured subject to its cells, whatever kind of token it is, and refuses the others', () => {
    const senders = EventSenders.fromConfig(
      new ConfigReader({
        platform: {
          ingest: {
            cellsBySubject: {
              'gateway-eu-west': ['eu-west-shared-1'],
              'gateway-us-east': ['*'],
            },
          },
        },
      }),
    );
    const euOnly = senders.checkFor(staticToken)!;
    expect(euOnly(eu)).toBeUndefined();
    expect(euOnly(us)).toBe(
      'cell: gateway-eu-west may send events only for eu-west-shared-1',
    );
    expect(senders.checkFor(jwksToken)).toBeUndefined();
    expect(() =>
      senders.checkFor(mockCredentials.service('gateway-elsewhere')),
    ).toThrow(
      'gateway-elsewhere may post events for no cell (platform.ingest.cellsBySubject)',
    );
    expect(() => senders.checkFor(pluginToken)).toThrow(/plugin:catalog/);
  });

  it('names the configuration key of a bad cell list', () => {
    expect(() =>
      EventSenders.fromConfig(
        new ConfigReader({
          platform: { ingest: { cellsBySubject: { gw: [] } } },
        }),
      ),
    ).toThrow(/platform\.ingest\.cellsBySubject\.gw/);
  });
});
