/**
 * A failed call to the platform backend. The message is the backend's own (it names the field
 * or permission at fault), prefixed by the status, so error panels can show it as it is.
 */
export class PlatformRequestError extends Error {
  readonly name = 'PlatformRequestError';

  constructor(message: string, readonly status: number) {
    super(message);
  }

  static async from(response: Response): Promise<PlatformRequestError> {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = body?.error?.message ?? detail;
    } catch {
      // Not JSON (a proxy's error page): the status text is all there is.
    }
    return new PlatformRequestError(
      `${response.status}${detail ? ` ${detail}` : ''}`,
      response.status,
    );
  }
}
