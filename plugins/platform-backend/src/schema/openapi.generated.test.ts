import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The generated router, EndpointMap, models and client are what openapi.yaml says today: an
 * edit to the document without `node scripts/openapi-generate.js` fails here, naming the files.
 */
describe('generated OpenAPI code', () => {
  it('matches openapi.yaml', () => {
    const repo = path.resolve(__dirname, '../../../..');
    expect(() =>
      execFileSync(
        process.execPath,
        [path.join(repo, 'scripts/openapi-generate.js'), '--check'],
        { cwd: repo, stdio: 'pipe' },
      ),
    ).not.toThrow();
  });
});
