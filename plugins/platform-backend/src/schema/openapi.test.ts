import fs from 'node:fs';
import path from 'node:path';

/** Every route the router registers is in the OpenAPI spec, and nothing else is. */
describe('openapi.yaml', () => {
  const spec = fs.readFileSync(path.join(__dirname, 'openapi.yaml'), 'utf8');
  const router = fs.readFileSync(
    path.join(__dirname, '..', 'router.ts'),
    'utf8',
  );

  function specOperations(): string[] {
    const operations: string[] = [];
    let currentPath: string | undefined;
    for (const line of spec.split('\n')) {
      const pathMatch = /^ {2}(\/\S*):\s*$/.exec(line);
      if (pathMatch) currentPath = pathMatch[1];
      else if (/^\S/.test(line)) currentPath = undefined;
      const methodMatch = /^ {4}(get|post|put|delete|patch):\s*$/.exec(line);
      if (currentPath && methodMatch) {
        operations.push(`${methodMatch[1].toUpperCase()} ${currentPath}`);
      }
    }
    return operations.sort();
  }

  function routerOperations(): string[] {
    return [
      ...router.matchAll(/router\.(get|post|put|delete|patch)\(\s*'([^']+)'/g),
    ]
      .map(
        ([, method, route]) =>
          `${method.toUpperCase()} ${route.replace(/:(\w+)/g, '{$1}')}`,
      )
      .sort();
  }

  it('covers every route', () => {
    expect(routerOperations().length).toBeGreaterThan(10);
    expect(specOperations()).toEqual(routerOperations());
  });
});
