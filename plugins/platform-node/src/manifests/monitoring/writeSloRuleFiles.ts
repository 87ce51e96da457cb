import { CellEntity } from '@cellport/plugin-platform-common';
import fs from 'node:fs';
import path from 'node:path';
import { renderSloRuleFile } from './renderSloRules';

/**
 * Writes each cell's SLO rules as a plain Prometheus rule file, `<dir>/<cell>.rules.yaml`, for
 * a Prometheus started with `rule_files: [<dir>/*.rules.yaml]`. Returns the files' paths.
 */
export function writeSloRuleFiles(options: {
  cells: CellEntity[];
  /** The portal's `app.baseUrl`: alerts link each cell's dashboard under it. */
  portalBaseUrl: string;
  dir: string;
}): string[] {
  fs.mkdirSync(options.dir, { recursive: true });
  return options.cells.map(cell => {
    const file = path.join(options.dir, `${cell.metadata.name}.rules.yaml`);
    fs.writeFileSync(
      file,
      renderSloRuleFile({ cell, portalBaseUrl: options.portalBaseUrl }),
    );
    return file;
  });
}
