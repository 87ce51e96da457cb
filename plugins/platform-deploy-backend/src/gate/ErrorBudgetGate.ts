import {
  ErrorBudgetCheck,
  errorBudgetCheck,
} from '@cellport/plugin-platform-common';
import { PlatformSloReader } from '@cellport/plugin-platform-node';

/** The gate's answer: the policy's check, or `unknown` when the SLOs could not be read. */
export type ErrorBudgetReading = ErrorBudgetCheck & {
  /**
   * The platform backend did not answer for the cell's SLOs: nothing is known of its budgets,
   * so the apply waits for an override reason as it would for a spent budget; `message` says
   * why.
   */
  unknown?: boolean;
};

/**
 * Whether a cell takes changes now: the platform's error budget policy (`errorBudgetCheck`)
 * on the cell's SLO report, read from the platform backend at the moment of the apply.
 */
export class ErrorBudgetGate {
  constructor(private readonly slos: PlatformSloReader) {}

  async check(cell: string): Promise<ErrorBudgetReading> {
    let report;
    try {
      report = await this.slos.cellReport(cell);
    } catch (error) {
      return {
        exhausted: false,
        unknown: true,
        budgets: [],
        unreadable: [],
        message: `The error budgets of cell "${cell}" could not be read from the platform backend: ${
          (error as Error).message
        }`,
      };
    }
    return errorBudgetCheck(report);
  }
}
