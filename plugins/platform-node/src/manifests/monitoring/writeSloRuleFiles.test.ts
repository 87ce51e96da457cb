import {
  CellEntity,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { promtool } from './__testUtils__/promtool';
import { writeSloRuleFiles } from './writeSloRuleFiles';

const repo = path.resolve(__dirname, '../../../../..');

describe('writeSloRuleFiles', () => {
  it('writes one rule file per cell that Prometheus loads', () => {
    const cells = parseAllDocuments(
      fs.readFileSync(path.join(repo, 'examples/cells.yaml'), 'utf8'),
    ).map(doc => {
      const result = validatePlatformEntity('Cell', doc.toJS());
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      return result.entity as CellEntity;
    });
    const dir = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'cellport-rules-')),
      'rules',
    );
    try {
      const files = writeSloRuleFiles({
        cells,
        portalBaseUrl: 'http://localhost:3000',
        dir,
      });
      expect(files.map(f => path.basename(f))).toEqual(
        cells.map(c => `${c.metadata.name}.rules.yaml`),
      );
      const out = promtool(['check', 'rules', ...files]);
      expect(out.status).toBe(0);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
