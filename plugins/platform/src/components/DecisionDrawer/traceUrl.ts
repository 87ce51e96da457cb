/**
 * The trace viewer's page of a trace: `template` with `{traceId}` replaced. Only an http(s)
 * template with the placeholder makes a link, so a misconfigured value cannot become a
 * `javascript:` URL; the id is checked to be a W3C trace id.
 */
export function traceUrl(
  template: string | undefined,
  traceId: string | undefined,
): string | undefined {
  if (!template || !traceId || !/^[0-9a-f]{32}$/.test(traceId)) {
    return undefined;
  }
  if (!/^https?:\/\//i.test(template) || !template.includes('{traceId}')) {
    return undefined;
  }
  return template.split('{traceId}').join(traceId);
}
