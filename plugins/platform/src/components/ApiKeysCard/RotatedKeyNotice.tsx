import { Link, WarningPanel } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';
import { RotatedApiKey } from '@cellport/plugin-platform-common';
import { formatLocalTime } from '../format';

/** What a rotation made: the link that reveals the new key once, and the old key's last day. */
export function RotatedKeyNotice({ rotated }: { rotated: RotatedApiKey }) {
  // A key no gateway served (the portal never issued it) ends with the rotation itself.
  const endedNow = Date.parse(rotated.replaced.expiresAt) <= Date.now();
  return (
    <WarningPanel
      severity="info"
      title={`New key ${rotated.prefix}… is ready`}
      defaultExpanded
    >
      <Typography paragraph>
        <Link to={rotated.revealUrl}>Reveal it once</Link> before{' '}
        {formatLocalTime(rotated.revealExpiresAt)} and store it: Cellport keeps
        only its SHA-256.{' '}
        {endedNow ? (
          <>
            The old key, {rotated.replaced.prefix}…, was never served: the
            portal did not issue it. Give its callers the new key.
          </>
        ) : (
          <>
            The old key, {rotated.replaced.prefix}…, keeps working until{' '}
            {formatLocalTime(rotated.replaced.expiresAt)}; switch its callers
            over before then.
          </>
        )}
      </Typography>
      <Typography>
        {rotated.gatewaySynced
          ? "The cell's gateway knows the new key now."
          : "The cell's gateway learns the new key at the reconciler's next pass."}
      </Typography>
    </WarningPanel>
  );
}
