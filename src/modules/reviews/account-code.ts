/**
 * The account code an informatization object gets when the service integrator approves it:
 *
 *     PREFIX-YYYY-SSSSSS-CC      e.g. AP-2026-000123-NN
 *
 *   - PREFIX: 1–6 uppercase Latin letters (A–Z);
 *   - YYYY: the year, four digits (1000–9999);
 *   - SSSSSS: the sequence number within the year, 1 or more, zero-padded to six digits; from
 *     1 000 000 on it is written with as many digits as it has (7 or more, never with a leading
 *     zero), so every number has exactly one spelling (up to Number.MAX_SAFE_INTEGER);
 *   - CC: ISO 7064 MOD 97-10 check digits (as in the IBAN) over PREFIX + YYYY + SSSSSS, the hyphens
 *     left out and each letter written as its two-digit value A=10 … Z=35.
 *
 * MOD 97-10 catches every single-character substitution and every transposition of two adjacent
 * characters (97 is prime and does not divide 9·10^k, 99·10^k or a difference of at most 25·10^k),
 * over the whole PREFIX+YYYY+SSSSSS+CC string, hyphens ignored.
 *
 * Codes read from people are trimmed and uppercased first ("ap-2026-000123-nn" is read as
 * "AP-2026-000123-NN"); nothing else is forgiven (no missing hyphens, no other dashes, no spaces inside).
 */

export interface AccountCodeParts {
  prefix: string;
  year: number;
  sequence: number;
}

const PREFIX_PATTERN = /^[A-Z]{1,6}$/;
/** Six digits, or seven and more without a leading zero; at most 16 (MAX_SAFE_INTEGER has 16). */
const CODE_PATTERN = /^([A-Z]{1,6})-(\d{4})-(\d{6}|[1-9]\d{6,15})-(\d{2})$/;
const SEQUENCE_DIGITS = 6;
const MIN_YEAR = 1000;
const MAX_YEAR = 9999;

/** 1–6 uppercase Latin letters (A–Z), nothing else: no lowercase, no Cyrillic look-alikes. */
export function isValidPrefix(prefix: string): boolean {
  return PREFIX_PATTERN.test(prefix);
}

/**
 * ISO 7064 MOD 97-10 check digits, computed as for an IBAN: letters (either case) become 10–35,
 * '00' is appended, the number is taken mod 97 and the check is 98 minus that, as two digits
 * (always 02–98). Throws RangeError for an empty string or any character that is not 0–9, A–Z.
 */
export function mod97_10CheckDigits(digitsAndLetters: string): string {
  if (digitsAndLetters.length === 0) throw new RangeError('MOD 97-10 needs at least one character');
  const remainder = mod97(digitsAndLetters.toUpperCase() + '00');
  return String(98 - remainder).padStart(2, '0');
}

/** The value mod 97 of a 0–9/A–Z string, letters as two digits, computed piecewise (no BigInt). */
function mod97(text: string): number {
  let remainder = 0;
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code >= 48 && code <= 57) {
      remainder = (remainder * 10 + (code - 48)) % 97;
    } else if (code >= 65 && code <= 90) {
      remainder = (remainder * 100 + (code - 55)) % 97;
    } else {
      throw new RangeError(`MOD 97-10 takes only digits and Latin letters, not ${JSON.stringify(char)}`);
    }
  }
  return remainder;
}

function sequenceText(sequence: number): string {
  return String(sequence).padStart(SEQUENCE_DIGITS, '0');
}

function checkParts(parts: AccountCodeParts): void {
  if (!isValidPrefix(parts.prefix)) throw new RangeError(`account code prefix must be 1–6 uppercase Latin letters: ${JSON.stringify(parts.prefix)}`);
  if (!Number.isInteger(parts.year) || parts.year < MIN_YEAR || parts.year > MAX_YEAR) {
    throw new RangeError(`account code year must be a four-digit integer: ${parts.year}`);
  }
  if (!Number.isSafeInteger(parts.sequence) || parts.sequence < 1) {
    throw new RangeError(`account code sequence must be a positive safe integer: ${parts.sequence}`);
  }
}

/** 'AP-2026-000123-NN'. Throws RangeError for a bad prefix, year or sequence. */
export function formatAccountCode(parts: AccountCodeParts): string {
  checkParts(parts);
  const year = String(parts.year);
  const sequence = sequenceText(parts.sequence);
  return `${parts.prefix}-${year}-${sequence}-${mod97_10CheckDigits(parts.prefix + year + sequence)}`;
}

/**
 * The parts of a well-formed code with correct check digits (trimmed and uppercased first), else
 * null. `check` is the two check digits as written.
 */
export function parseAccountCode(code: string): (AccountCodeParts & { check: string }) | null {
  if (typeof code !== 'string') return null;
  const match = CODE_PATTERN.exec(code.trim().toUpperCase());
  if (!match) return null;
  const [, prefix = '', yearText = '', sequenceDigits = '', check = ''] = match;
  const year = Number(yearText);
  const sequence = Number(sequenceDigits);
  if (year < MIN_YEAR || !Number.isSafeInteger(sequence) || sequence < 1) return null;
  if (mod97_10CheckDigits(prefix + yearText + sequenceDigits) !== check) return null;
  return { prefix, year, sequence, check };
}

/**
 * Whether `code` is a well-formed account code with correct check digits (after trimming and
 * uppercasing); with `prefix`, also that it has that prefix (compared uppercased).
 */
export function isValidAccountCode(code: string, options: { prefix?: string } = {}): boolean {
  const parts = parseAccountCode(code);
  if (!parts) return false;
  if (options.prefix !== undefined && parts.prefix !== options.prefix.trim().toUpperCase()) return false;
  return true;
}
