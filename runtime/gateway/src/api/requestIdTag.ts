/**
 * The request id without its dashes: the tag of the ids an API derives from it (`resp_…`,
 * `msg_…`), so that an answer's id leads to the gateway's `x-request-id`. A request id is a
 * UUID, whose dashes stand at fixed places: slicing around them costs about half what
 * `replaceAll` does.
 */
export function requestIdTag(id: string): string {
  if (
    id.length === 36 &&
    id[8] === '-' &&
    id[13] === '-' &&
    id[18] === '-' &&
    id[23] === '-'
  ) {
    return (
      id.slice(0, 8) +
      id.slice(9, 13) +
      id.slice(14, 18) +
      id.slice(19, 23) +
      id.slice(24)
    );
  }
  return id.replaceAll('-', '');
}
