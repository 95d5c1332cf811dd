/** Only a path on this site: "/x", never "//host" or "/\host", so a redirect cannot lead away. */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}
