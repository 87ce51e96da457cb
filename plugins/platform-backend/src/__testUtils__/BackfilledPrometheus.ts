import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROMETHEUS_BINARY, requireBinary } from './MonitoringStack';
import { freePort, startTestProcess, TestProcess } from './testProcess';

export const PROMTOOL_BINARY = {
  path: process.env.CELLPORT_TEST_PROMTOOL ?? '/usr/bin/promtool',
  debianPackage: 'prometheus',
};

/** One counter's samples: its value at each timestamp (epoch ms), oldest first. */
export interface BackfillSeries {
  name: string;
  labels: Record<string, string>;
  samples: Array<[timeMs: number, value: number]>;
}

/**
 * A real Prometheus holding series written in the past: `promtool tsdb create-blocks-from
 * openmetrics` turns the samples into TSDB blocks, and Prometheus serves them without
 * scraping anything, so a test knows every sample its queries read.
 */
export class BackfilledPrometheus {
  url = '';
  private process?: TestProcess;

  constructor(private readonly dir: string) {}

  async start(series: BackfillSeries[]): Promise<void> {
    requireBinary(PROMETHEUS_BINARY);
    requireBinary(PROMTOOL_BINARY);
    const input = path.join(this.dir, 'backfill.om.txt');
    const data = path.join(this.dir, 'data');
    const lines: string[] = [];
    // No TYPE lines: every sample name is its own family, so series need no grouping by type.
    for (const s of series) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      for (const [time, value] of s.samples) {
        lines.push(`${s.name}{${labels}} ${value} ${time / 1000}`);
      }
    }
    lines.push('# EOF', '');
    fs.writeFileSync(input, lines.join('\n'));
    await promisify(execFile)(
      PROMTOOL_BINARY.path,
      ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', input, data],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const config = path.join(this.dir, 'prometheus.yml');
    fs.writeFileSync(config, JSON.stringify({ scrape_configs: [] }));
    this.process = await startTestProcess(
      PROMETHEUS_BINARY.path,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // The backfilled month stays: retention counts from the newest block.
        '--storage.tsdb.retention.time=90d',
      ],
      { ready: /Server is ready to receive web requests/ },
    );
  }

  output(): string {
    return this.process?.output().slice(-4000) ?? '';
  }

  async stop(): Promise<void> {
    await this.process?.kill();
  }
}
