import {
  CellEntity,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository's root: the demo catalog and the rendered deploy/ tree are read from it. */
export const REPO_ROOT = path.resolve(__dirname, '../../../../../..');

/** The demo catalog's cells (`examples/cells.yaml`), validated as the catalog takes them. */
export function demoCells(): CellEntity[] {
  return parseAllDocuments(
    fs.readFileSync(path.join(REPO_ROOT, 'examples/cells.yaml'), 'utf8'),
  ).map(doc => {
    const result = validatePlatformEntity('Cell', doc.toJS());
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return result.entity as CellEntity;
  });
}

/** One demo cell, by name. */
export function demoCell(name: string): CellEntity {
  const cell = demoCells().find(c => c.metadata.name === name);
  if (!cell) throw new Error(`no demo cell ${name} in examples/cells.yaml`);
  return cell;
}
