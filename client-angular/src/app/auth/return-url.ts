/**
 * Where to go after signing in: the requested path when it stays on this site, else /rooms.
 * "//host" and "/\host" are protocol-relative to browsers, so they are refused too.
 */
export function safeReturnUrl(returnUrl: string | null | undefined): string {
  const isLocalPath =
    typeof returnUrl === 'string' &&
    returnUrl.startsWith('/') &&
    !returnUrl.startsWith('//') &&
    !returnUrl.startsWith('/\\');
  return isLocalPath ? returnUrl : '/rooms';
}
