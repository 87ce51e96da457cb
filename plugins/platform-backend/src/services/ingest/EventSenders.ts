import {
  BackstageCredentials,
  BackstageServicePrincipal,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { NotAllowedError } from '@backstage/errors';
import { readPlatformSettings } from '../../config/platformSettings';
import type { EventCheck } from './parseEventBatch';

/** Plugin-to-plugin tokens: every backend plugin gets one from `auth.getPluginRequestToken`. */
const PLUGIN = 'plugin:';
/** What Backstage puts before the subject of a JWKS (or legacy) external access token. */
const EXTERNAL = 'external:';

/**
 * Who may post events, and for which cells. Gateways only, with a Backstage external access
 * token (a static token's `subject` as configured, a JWKS one's `external:...`): a backend
 * plugin's own token (`plugin:<id>`) may not, or any installed plugin could write cost and
 * errors into a tenant. With `platform.ingest.cellsBySubject`, a token sends events only for
 * the cells listed for its subject, so that one cell's token, leaked or misused, cannot forge
 * another cell's cost or SLOs; a subject not listed posts nothing.
 */
export class EventSenders {
  static fromConfig(config: Config): EventSenders {
    return new EventSenders(readPlatformSettings(config).ingest.cellsBySubject);
  }

  constructor(private readonly cellsBySubject?: Record<string, string[]>) {}

  /** The check each event of the sender's batch must pass; throws when it may post none. */
  checkFor(
    credentials: BackstageCredentials<BackstageServicePrincipal>,
  ): EventCheck | undefined {
    const subject = credentials.principal.subject;
    if (subject.startsWith(PLUGIN)) {
      throw new NotAllowedError(
        `events come from gateways, with an external access token; ${subject} may not post them`,
      );
    }
    if (!this.cellsBySubject) return undefined;
    const name = subject.startsWith(EXTERNAL)
      ? subject.slice(EXTERNAL.length)
      : subject;
    const cells = this.cellsBySubject[name];
    if (!cells) {
      throw new NotAllowedError(
        `${name} may post events for no cell (platform.ingest.cellsBySubject)`,
      );
    }
    if (cells.includes('*')) return undefined;
    const allowed = new Set(cells);
    return event =>
      allowed.has(event.cell)
        ? undefined
        : `cell: ${name} may send events only for ${cells.join(', ')}`;
  }
}
