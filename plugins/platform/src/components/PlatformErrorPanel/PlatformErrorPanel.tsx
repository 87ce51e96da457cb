import { ResponseErrorPanel } from '@backstage/core-components';

/**
 * What a reader can do about a failed call to the platform backend, by its HTTP status. The
 * backend's own message (shown under it) names the field or permission at fault.
 */
export function whatToDo(error: Error): string {
  const status = (error as { status?: unknown }).status;
  if (status === 401) return 'Sign in again, then reload the page.';
  if (status === 403)
    return 'Your account lacks the permission named below; the platform team grants it.';
  if (status === 400)
    return 'The backend refused a value from the link; pick the time range and filters again.';
  if (status === 404)
    return 'It is not in the catalog or past retention; check the name, or start from the Cells page.';
  if (typeof status === 'number' && status >= 500)
    return 'The platform backend failed; try again in a minute, and tell the platform team if it persists.';
  return 'The platform backend did not answer; check your connection and reload the page.';
}

/** An error panel for a failed platform call: what failed, and what to do about it. */
export function PlatformErrorPanel({
  error,
  title,
}: {
  error: Error;
  title: string;
}) {
  return (
    <ResponseErrorPanel error={error} title={`${title}. ${whatToDo(error)}`} />
  );
}
