import { createMockDirectory } from '@backstage/backend-test-utils';
import path from 'node:path';
import { filePlaceholderResolver } from './filePlaceholderResolver';

describe('filePlaceholderResolver', () => {
  const dir = createMockDirectory({
    content: {
      'repo/catalog-info.yaml': 'kind: API',
      'repo/runtime/gateway/openapi.yaml': 'openapi: 3.0.3',
      'secret.txt': 'do not read',
    },
  });
  const baseUrl = path.join(dir.path, 'repo/catalog-info.yaml');
  const resolve = (value: unknown, base = baseUrl) =>
    filePlaceholderResolver({
      key: 'file',
      value: value as string,
      baseUrl: base,
      read: async () => Buffer.from(''),
      resolveUrl: url => url,
      emit: () => {},
    });

  it('reads a file below the location file', async () => {
    await expect(resolve('./runtime/gateway/openapi.yaml')).resolves.toBe(
      'openapi: 3.0.3',
    );
  });

  it('refuses to leave the location file directory', async () => {
    await expect(resolve('../secret.txt')).rejects.toThrow(
      /may only read files below/,
    );
    await expect(resolve(path.join(dir.path, 'secret.txt'))).rejects.toThrow(
      /may only read files below/,
    );
  });

  it('refuses url locations and bad values with a clear error', async () => {
    await expect(
      resolve('./openapi.yaml', 'https://example.com/catalog-info.yaml'),
    ).rejects.toThrow(/only works in file locations/);
    await expect(resolve(42)).rejects.toThrow(/expects a relative file path/);
    await expect(resolve('./missing.yaml')).rejects.toThrow(
      /could not read \.\/missing\.yaml/,
    );
  });
});
