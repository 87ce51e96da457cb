import { PlaceholderResolverParams } from '@backstage/plugin-catalog-node';
import { JsonValue } from '@backstage/types';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * `$file: ./relative/path` reads a text file next to a catalog file of a `file` location, e.g.
 * an API's OpenAPI definition kept beside the code that serves it. Backstage's own `$text`
 * refuses relative paths in file locations; this resolver allows them, but only to files
 * inside the location file's own directory tree.
 */
export async function filePlaceholderResolver({
  key,
  value,
  baseUrl,
}: PlaceholderResolverParams): Promise<JsonValue> {
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error(`Placeholder $${key} expects a relative file path`);
  }
  if (!path.isAbsolute(baseUrl)) {
    throw new Error(
      `Placeholder $${key} only works in file locations, not in ${baseUrl}`,
    );
  }
  const root = path.dirname(baseUrl);
  const target = path.resolve(root, value);
  if (path.isAbsolute(value) || !target.startsWith(`${root}${path.sep}`)) {
    throw new Error(
      `Placeholder $${key} may only read files below ${root}, not ${value}`,
    );
  }
  try {
    return await fs.readFile(target, 'utf8');
  } catch (error) {
    throw new Error(
      `Placeholder $${key} could not read ${value}: ${
        (error as Error).message
      }`,
    );
  }
}
