import { dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

// The ~49,000 most common passwords from leaks (zxcvbn-ts' list), lower-cased for the lookup.
const common = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

export type PasswordProblem = 'too_short' | 'too_long' | 'too_common' | 'contains_email';

/** NIST 800-63B style: length and a blocklist, no composition rules. */
export function passwordProblem(password: string, email?: string): PasswordProblem | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return 'too_short';
  if (length > MAX_PASSWORD_LENGTH) return 'too_long';
  const lowered = password.toLowerCase();
  if (common.has(lowered) || common.has(lowered.replace(/[\d\W_]+$/u, ''))) return 'too_common';
  const local = email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lowered.includes(local)) return 'contains_email';
  return null;
}
