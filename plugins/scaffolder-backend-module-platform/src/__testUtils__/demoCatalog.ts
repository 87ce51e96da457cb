import { Entity } from '@backstage/catalog-model';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const examples = path.resolve(__dirname, '../../../../examples');

/** The demo catalog (examples/) as the catalog serves it: every entity in `default`. */
export function demoCatalog(): Entity[] {
  return fs
    .readdirSync(examples)
    .filter(f => f.endsWith('.yaml'))
    .flatMap(f =>
      parseAllDocuments(fs.readFileSync(path.join(examples, f), 'utf8')).map(
        d => d.toJS() as Entity,
      ),
    )
    .filter(e => e.kind !== 'Location')
    .map(e => ({ ...e, metadata: { namespace: 'default', ...e.metadata } }));
}
