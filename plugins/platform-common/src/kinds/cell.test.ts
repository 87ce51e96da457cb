import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validatePlatformEntity } from './registry';

const meridian = parseAllDocuments(
  fs.readFileSync(
    path.resolve(__dirname, '../../../../examples/cells.yaml'),
    'utf8',
  ),
)
  .map(doc => doc.toJS())
  .find(cell => cell.metadata.name === 'meridian-dedicated');

function issuesOf(spec: object) {
  const result = validatePlatformEntity('Cell', {
    ...meridian,
    spec: { ...meridian.spec, ...spec },
  });
  return result.ok ? [] : result.issues;
}

const availability = (name: string) => ({
  name,
  indicator: 'availability',
  target: 0.9995,
});

describe('Cell spec.slos names', () => {
  it('refuses two objectives of one name, naming both', () => {
    const slos = [...meridian.spec.slos, availability('gateway-availability')];
    expect(issuesOf({ slos })).toEqual([
      {
        path: 'spec.slos[3].name',
        message: '"gateway-availability" is already the name of spec.slos[0]',
      },
    ]);
  });

  it("refuses the name of another service's built-in objective", () => {
    const slos = [availability('conversation-manager-availability')];
    expect(issuesOf({ slos })).toEqual([
      {
        path: 'spec.slos[0].name',
        message:
          '"conversation-manager-availability" is already the name of the Conversation Manager\'s availability objective (spec.serviceSlos.conversation-manager)',
      },
    ]);
  });

  it('leaves the names of a service the cell does not run free', () => {
    const slos = [availability('conversation-manager-availability')];
    const serviceSlos = {
      ...meridian.spec.serviceSlos,
      'conversation-manager': { enabled: false },
    };
    expect(issuesOf({ slos, serviceSlos })).toEqual([]);
    expect(issuesOf({})).toEqual([]);
  });
});
