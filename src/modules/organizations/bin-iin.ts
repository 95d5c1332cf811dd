/**
 * BIN (business identification number, БИН / БСН) and IIN (individual identification number,
 * ИИН / ЖСН) of the Republic of Kazakhstan: 12 digits, the last one a check digit. Organizations
 * are identified by their BIN (003 Annex 2) and issued documents are verified by number + IIN/BIN
 * (002), so a mistyped number must be caught at input.
 *
 * Structure (Law "On national registers of identification numbers" of 12.01.2007 and the rules
 * for forming identification numbers made under it):
 *   BIN: positions 1–4 year (YY) and month (MM) of registration, 5 the kind of entity,
 *        6 the attribute (head unit / branch / …), 7–11 a serial number, 12 the check digit.
 *   IIN: positions 1–6 the date of birth YYMMDD, 7 the century of birth and sex,
 *        8–11 a serial number, 12 the check digit.
 */

/** Weights of the first pass: 1..11 over the first 11 digits. */
const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;
/** Weights of the second pass, used only when the first pass gives 10. */
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2] as const;

const TWELVE_DIGITS = /^\d{12}$/;
const ELEVEN_DIGITS = /^\d{11}$/;

export type IdNumberInvalidReason = 'format' | 'check_digit' | 'structure';

/** 5th digit of a BIN. */
export type BinEntityType =
  | 'resident_legal_entity' // 4
  | 'non_resident_legal_entity' // 5
  | 'joint_individual_entrepreneur'; // 6: individual entrepreneur working as a joint venture

/** 6th digit of a BIN. */
export type BinAttribute =
  | 'head_unit' // 0: the legal entity (or joint entrepreneur) itself
  | 'branch' // 1
  | 'representative_office' // 2
  | 'joint_peasant_farm'; // 3: peasant (farm) holding run as a joint venture

export interface BinStructure {
  /** Two digits only: the number does not say the century. */
  registrationYear2: string;
  registrationMonth: number;
  entityType: BinEntityType;
  attribute: BinAttribute;
}

export interface IinStructure {
  /** ISO date 'YYYY-MM-DD'. */
  birthDate: string;
  sex: 'male' | 'female';
}

export type BinValidation =
  | { ok: true; value: string; structure: BinStructure }
  | { ok: false; reason: IdNumberInvalidReason };

export type IinValidation =
  | { ok: true; value: string; structure: IinStructure }
  | { ok: false; reason: IdNumberInvalidReason };

const BIN_ENTITY_TYPES: Readonly<Record<string, BinEntityType>> = {
  '4': 'resident_legal_entity',
  '5': 'non_resident_legal_entity',
  '6': 'joint_individual_entrepreneur',
};

const BIN_ATTRIBUTES: Readonly<Record<string, BinAttribute>> = {
  '0': 'head_unit',
  '1': 'branch',
  '2': 'representative_office',
  '3': 'joint_peasant_farm',
};

/** 7th digit of an IIN: odd = male, even = female; 1–2 born in the 1800s, 3–4 the 1900s, 5–6 the 2000s. */
const IIN_CENTURIES: Readonly<Record<string, { century: number; sex: 'male' | 'female' }>> = {
  '1': { century: 1800, sex: 'male' },
  '2': { century: 1800, sex: 'female' },
  '3': { century: 1900, sex: 'male' },
  '4': { century: 1900, sex: 'female' },
  '5': { century: 2000, sex: 'male' },
  '6': { century: 2000, sex: 'female' },
};

function weightedSumMod11(digits: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += Number(digits[i]) * (weights[i] ?? 0);
  return sum % 11;
}

/**
 * The check digit for the first 11 digits of a BIN or IIN, or null when no check digit exists
 * (both passes give 10): such numbers are never issued.
 * Throws RangeError unless given exactly 11 ASCII digits (a caller's mistake, not user input).
 */
export function checkDigit(first11: string): number | null {
  if (!ELEVEN_DIGITS.test(first11)) throw new RangeError('checkDigit expects exactly 11 digits');
  const first = weightedSumMod11(first11, FIRST_WEIGHTS);
  if (first !== 10) return first;
  const second = weightedSumMod11(first11, SECOND_WEIGHTS);
  return second === 10 ? null : second;
}

/** Removes all whitespace people type or paste into the field ("990 340 001 230", tabs, NBSP). */
export function normalizeBinInput(raw: string): string {
  return raw.replace(/\s+/gu, '');
}

function hasValidCheckDigit(value: string): boolean {
  return checkDigit(value.slice(0, 11)) === Number(value[11]);
}

/**
 * 12 digits with a correct check digit. Says nothing about the structure, so it accepts both a
 * BIN and an IIN: use it where either is allowed (002: a result is verified "by IIN/BIN").
 */
export function isValidBinOrIin(value: string): boolean {
  return TWELVE_DIGITS.test(value) && hasValidCheckDigit(value);
}

function binStructure(value: string): BinStructure | null {
  const month = Number(value.slice(2, 4));
  const entityType = BIN_ENTITY_TYPES[value.charAt(4)];
  const attribute = BIN_ATTRIBUTES[value.charAt(5)];
  if (month < 1 || month > 12 || entityType === undefined || attribute === undefined) return null;
  return { registrationYear2: value.slice(0, 2), registrationMonth: month, entityType, attribute };
}

function isRealDate(year: number, month: number, day: number): boolean {
  // Date.UTC rolls 31 April over to 1 May, so a real date is one that survives the round trip.
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function iinStructure(value: string): IinStructure | null {
  const centuryAndSex = IIN_CENTURIES[value.charAt(6)];
  if (centuryAndSex === undefined) return null;
  const year = centuryAndSex.century + Number(value.slice(0, 2));
  const month = Number(value.slice(2, 4));
  const day = Number(value.slice(4, 6));
  if (!isRealDate(year, month, day)) return null;
  return { birthDate: `${year}-${value.slice(2, 4)}-${value.slice(4, 6)}`, sex: centuryAndSex.sex };
}

/**
 * Validates a BIN. Checks run in the order format → check digit → structure: a wrong check
 * digit means a typo whatever the digits are, while a well-formed number with a correct check
 * digit but a non-BIN structure is most likely an IIN typed into the BIN field.
 * Expects normalized input (see normalizeBinInput).
 */
export function validateBin(value: string): BinValidation {
  if (!TWELVE_DIGITS.test(value)) return { ok: false, reason: 'format' };
  if (!hasValidCheckDigit(value)) return { ok: false, reason: 'check_digit' };
  const structure = binStructure(value);
  if (structure === null) return { ok: false, reason: 'structure' };
  return { ok: true, value, structure };
}

/** Validates an IIN, in the same order as validateBin; the birth date must be a real calendar date. */
export function validateIin(value: string): IinValidation {
  if (!TWELVE_DIGITS.test(value)) return { ok: false, reason: 'format' };
  if (!hasValidCheckDigit(value)) return { ok: false, reason: 'check_digit' };
  const structure = iinStructure(value);
  if (structure === null) return { ok: false, reason: 'structure' };
  return { ok: true, value, structure };
}

/**
 * Completes the first 11 digits of a BIN with its check digit, for demo data and tests.
 * Returns null when the prefix admits no check digit (pick another serial number).
 * Throws RangeError when the prefix is not 11 digits or does not have a BIN's structure, so a
 * generated number always passes validateBin.
 */
export function makeValidBin(prefix11: string): string | null {
  if (!ELEVEN_DIGITS.test(prefix11)) throw new RangeError('makeValidBin expects exactly 11 digits');
  if (binStructure(`${prefix11}0`) === null) throw new RangeError(`"${prefix11}" does not have a BIN's structure`);
  const digit = checkDigit(prefix11);
  return digit === null ? null : `${prefix11}${digit}`;
}
