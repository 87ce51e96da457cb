import {
  ErrorBudgetCheck,
  errorBudgetCheck,
} from '@cellport/plugin-platform-common';
import { PlatformSloReader } from '@cellport/plugin-platform-node';

/**
 * Whether a cell takes changes now: the platform's error budget policy (`errorBudgetCheck`)
 * on the cell's SLO report, read from the platform backend at the moment of the apply.
 */
export class ErrorBudgetGate {
  constructor(private readonly slos: PlatformSloReader) {}

  async check(cell: string): Promise<ErrorBudgetCheck> {
    return errorBudgetCheck(await this.slos.cellReport(cell));
  }
}
