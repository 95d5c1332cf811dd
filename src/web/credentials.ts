/**
 * How a browser or an API client presents its session: the cookie the auth plugin sets, and the
 * header that carries the session's CSRF token (forms send it as the `_csrf` field instead) on
 * every request but the safe ones. The OpenAPI document names both, so they live where the kernel
 * can read them.
 */
export const SESSION_COOKIE = 'portal_session';
export const CSRF_HEADER = 'x-csrf-token';

/** The methods that change nothing, and so need no CSRF token. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
