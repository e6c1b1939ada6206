/**
 * Whether a browser request from `origin` may act: no Origin (non-browser clients) passes;
 * otherwise it must be one of `allowedOrigins`, or the serving origin when none are configured.
 */
export function isOriginAllowed(
  origin: string | undefined,
  allowedOrigins: string[],
  servingOrigin: string,
): boolean {
  if (origin === undefined) return true;
  return allowedOrigins.length > 0 ? allowedOrigins.includes(origin) : origin === servingOrigin;
}

/** The origin a request was served on, from its Host (and X-Forwarded-* behind a trusted proxy). */
export function servingOriginOf(
  headers: Record<string, string | string[] | undefined>,
  isEncrypted: boolean,
  trustProxy: number,
): string {
  const first = (value: string | string[] | undefined) =>
    (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
  const proto =
    (trustProxy > 0 && first(headers['x-forwarded-proto'])) || (isEncrypted ? 'https' : 'http');
  const host = (trustProxy > 0 && first(headers['x-forwarded-host'])) || first(headers.host) || '';
  return `${proto}://${host}`;
}
