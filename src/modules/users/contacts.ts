/**
 * How the portal reads the contact details people type, wherever they type them (account
 * requests, passports, sign-in): one normalized form, so that stored values compare equal.
 */

/**
 * A Kazakh phone number in E.164 (+7 and 10 digits), or null. Accepts what people type:
 * "8 701 123 45 67", "+7 (701) 123-45-67", "87011234567", "7011234567". Kazakhstan shares
 * country code 7 with Russia; its numbers are the ones whose national part begins with 6 or 7
 * (mobile 70x/747/75x/77x, geographic 71x–72x), so a Russian number (3xx, 4xx, 8xx, 9xx) or any
 * other country's is refused.
 */
export function normalizeKazakhPhone(raw: string): string | null {
  const trimmed = raw.trim();
  if (!/^\+?[\d\s().-]+$/u.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, '');
  let national: string;
  if (trimmed.startsWith('+')) {
    if (digits.length !== 11 || !digits.startsWith('7')) return null;
    national = digits.slice(1);
  } else if (digits.length === 11 && (digits.startsWith('8') || digits.startsWith('7'))) {
    national = digits.slice(1);
  } else if (digits.length === 10) {
    national = digits;
  } else {
    return null;
  }
  return /^[67]\d{9}$/.test(national) ? `+7${national}` : null;
}

// An address as people use them: an ASCII local part (dot-atoms, no quoting) and a domain of
// letters in any script (пример.қаз), digits and inner hyphens, ending in a label of letters.
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN_LABEL = /^[\p{L}\p{N}]([\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
const TOP_LABEL = /^(\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/u;

/** Lower-cased and trimmed: the form stores and compares e-mails this way (the login is case-insensitive). */
export function normalizeEmailAddress(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Expects a normalized address. */
export function isEmailAddress(value: string): boolean {
  if (value.length > 254) return false;
  const at = value.lastIndexOf('@');
  if (at < 1 || at > 64) return false;
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split('.');
  return LOCAL_PART.test(local) && labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label)) && TOP_LABEL.test(labels.at(-1)!);
}
