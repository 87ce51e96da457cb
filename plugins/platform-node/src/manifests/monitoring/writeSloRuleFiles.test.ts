import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoCells } from './__testUtils__/demoCells';
import { promtool } from './__testUtils__/promtool';
import { writeSloRuleFiles } from './writeSloRuleFiles';

describe('writeSloRuleFiles', () => {
  it('writes one rule file per cell that Prometheus loads', () => {
    const cells = demoCells();
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
