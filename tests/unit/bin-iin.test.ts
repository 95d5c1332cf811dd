import { describe, expect, it } from 'vitest';
import {
  checkDigit,
  isValidBinOrIin,
  makeValidBin,
  normalizeBinInput,
  validateBin,
  validateIin,
} from '../../src/modules/organizations/bin-iin.ts';

/** Demo BINs handed to the fixtures author (serials 9xxxx, not checked against the register). */
const DEMO_BINS = {
  ministry: '990140090002',
  secondMinistry: '040140090005',
  akimatOfAlmatyRegion: '990540090007',
  quasiPublicJsc: '080340090003',
  serviceIntegrator: '000640090006',
  authorizedBody: '190640090003',
};

describe('checkDigit', () => {
  it('uses weights 1..11 mod 11 when that gives 0..9', () => {
    // 9·1 + 4·2 + 0·3 + 1·4 + 4·5 + 0 + 0 + 0 + 0 + 3·10 + 8·11 = 159; 159 mod 11 = 5
    expect(checkDigit('94014000038')).toBe(5);
    // 9 + 18 + 0 + 12 + 20 + 0 + 0 + 0 + 9 + 20 + 33 = 121; 121 mod 11 = 0
    expect(checkDigit('99034000123')).toBe(0);
  });

  it('falls back to weights 3,4,5,6,7,8,9,10,11,1,2 when the first pass gives 10', () => {
    // pass 1: 9 + 18 + 0 + 12 + 20 + 0 + 0 + 0 + 0 + 50 + 0 = 109; 109 mod 11 = 10
    // pass 2: 27 + 36 + 0 + 18 + 28 + 0 + 0 + 0 + 0 + 5 + 0 = 114; 114 mod 11 = 4
    expect(checkDigit('99034000050')).toBe(4);
    // pass 2 may give 0 too: 27 + 36 + 18 + 28 + 5 + 18 = 132; 132 mod 11 = 0
    expect(checkDigit('99034000059')).toBe(0);
  });

  it('returns null when both passes give 10 (no number is issued with these digits)', () => {
    // pass 1: 9 + 18 + 0 + 12 + 20 + 0 + 0 + 0 + 0 + 50 + 33 = 142; 142 mod 11 = 10
    // pass 2: 27 + 36 + 0 + 18 + 28 + 0 + 0 + 0 + 0 + 5 + 6 = 120; 120 mod 11 = 10
    expect(checkDigit('99034000053')).toBeNull();
    expect(checkDigit('99034000134')).toBeNull();
  });

  it('rejects anything but 11 ASCII digits as a programming error', () => {
    for (const bad of ['', '9903400012', '990340001230', '9903400012a', '99034 00123', '٩٩٠٣٤٠٠٠١٢٣']) {
      expect(() => checkDigit(bad)).toThrow(RangeError);
    }
  });
});

describe('isValidBinOrIin', () => {
  it('accepts numbers with a correct check digit, BIN or IIN alike', () => {
    expect(isValidBinOrIin('940140000385')).toBe(true);
    expect(isValidBinOrIin('990340001230')).toBe(true);
    expect(isValidBinOrIin('990340000504')).toBe(true);
    expect(isValidBinOrIin('850312300002')).toBe(true);
  });

  it('rejects every other last digit', () => {
    for (let digit = 0; digit <= 9; digit++) {
      if (digit === 5) continue;
      expect(isValidBinOrIin(`94014000038${digit}`)).toBe(false);
    }
  });

  it('rejects a number whose first 11 digits admit no check digit, whatever the 12th', () => {
    for (let digit = 0; digit <= 9; digit++) expect(isValidBinOrIin(`99034000053${digit}`)).toBe(false);
  });

  it('catches a single mistyped digit and a swap of neighbours', () => {
    expect(isValidBinOrIin('940140000485')).toBe(false);
    expect(isValidBinOrIin('940140003085')).toBe(false);
  });

  it('cannot see a typo in the 11th digit when the first pass decides (weight 11 ≡ 0 mod 11)', () => {
    // A property of the official algorithm, kept here so nobody "fixes" the implementation.
    expect(isValidBinOrIin('940140000375')).toBe(true);
  });

  it('rejects wrong lengths and non-digits', () => {
    for (const bad of ['', '94014000038', '9401400003855', '94014000038O', '940 140 000 385', '-94014000385']) {
      expect(isValidBinOrIin(bad)).toBe(false);
    }
  });
});

describe('normalizeBinInput', () => {
  it('strips spaces, tabs, line breaks and no-break spaces', () => {
    expect(normalizeBinInput(' 940 140\t000\u00a0385\n')).toBe('940140000385');
  });

  it('leaves other characters for validation to reject', () => {
    expect(normalizeBinInput('940-140-000-385')).toBe('940-140-000-385');
  });
});

describe('validateBin', () => {
  it('accepts a BIN and describes its structure', () => {
    expect(validateBin('940140000385')).toEqual({
      ok: true,
      value: '940140000385',
      structure: {
        registrationYear2: '94',
        registrationMonth: 1,
        entityType: 'resident_legal_entity',
        attribute: 'head_unit',
      },
    });
  });

  it('reads the entity type (5th digit) and the attribute (6th digit)', () => {
    const cases = [
      ['1005410', 'resident_legal_entity', 'branch'],
      ['1005510', 'non_resident_legal_entity', 'branch'],
      ['1005520', 'non_resident_legal_entity', 'representative_office'],
      ['1005630', 'joint_individual_entrepreneur', 'joint_peasant_farm'],
      ['1005400', 'resident_legal_entity', 'head_unit'],
    ] as const;
    for (const [prefix, entityType, attribute] of cases) {
      const bin = makeValidBin(`${prefix}1234`) ?? makeValidBin(`${prefix}1235`);
      const result = validateBin(bin ?? '');
      expect(result.ok && result.structure.entityType).toBe(entityType);
      expect(result.ok && result.structure.attribute).toBe(attribute);
    }
  });

  it('reports the format before anything else', () => {
    expect(validateBin('')).toEqual({ ok: false, reason: 'format' });
    expect(validateBin('94014000038')).toEqual({ ok: false, reason: 'format' });
    expect(validateBin('940 140 000 385')).toEqual({ ok: false, reason: 'format' });
  });

  it('reports a wrong check digit', () => {
    expect(validateBin('940140000386')).toEqual({ ok: false, reason: 'check_digit' });
    expect(validateBin('990340000530')).toEqual({ ok: false, reason: 'check_digit' });
  });

  it('reports the structure when the check digit is right but the digits are not a BIN', () => {
    // An IIN (5th digit is a day-of-birth digit) typed into the BIN field.
    expect(validateBin('850312300002')).toEqual({ ok: false, reason: 'structure' });
    // Month 13, 00; entity type 7; attribute 4.
    for (const first11 of ['99134000123', '99004000123', '99037000123', '99034400123']) {
      const digit = checkDigit(first11);
      if (digit === null) throw new Error(`pick another example than ${first11}`);
      expect(validateBin(`${first11}${digit}`)).toEqual({ ok: false, reason: 'structure' });
    }
  });
});

describe('validateIin', () => {
  it('accepts an IIN and reads the birth date and sex', () => {
    expect(validateIin('850312300002')).toEqual({
      ok: true,
      value: '850312300002',
      structure: { birthDate: '1985-03-12', sex: 'male' },
    });
  });

  it('maps the 7th digit to the century and sex', () => {
    const expected = [
      ['1', '1885-03-12', 'male'],
      ['2', '1885-03-12', 'female'],
      ['3', '1985-03-12', 'male'],
      ['4', '1985-03-12', 'female'],
      ['5', '2085-03-12', 'male'],
      ['6', '2085-03-12', 'female'],
    ] as const;
    for (const [centuryDigit, birthDate, sex] of expected) {
      const iin = withCheckDigit(`850312${centuryDigit}0001`);
      expect(validateIin(iin)).toEqual({ ok: true, value: iin, structure: { birthDate, sex } });
    }
  });

  it('rejects a 7th digit outside 1–6', () => {
    expect(validateIin(withCheckDigit('85031200001'))).toEqual({ ok: false, reason: 'structure' });
    expect(validateIin(withCheckDigit('85031270001'))).toEqual({ ok: false, reason: 'structure' });
  });

  it('validates the birth date, leap years included', () => {
    expect(validateIin(withCheckDigit('00022950001')).ok).toBe(true); // 29.02.2000: leap
    expect(validateIin(withCheckDigit('96022940001')).ok).toBe(true); // 29.02.1996: leap
    expect(validateIin(withCheckDigit('00022930001'))).toEqual({ ok: false, reason: 'structure' }); // 1900: not leap
    expect(validateIin(withCheckDigit('01022950001'))).toEqual({ ok: false, reason: 'structure' }); // 2001
    expect(validateIin(withCheckDigit('85043130001'))).toEqual({ ok: false, reason: 'structure' }); // 31 April
    expect(validateIin(withCheckDigit('85130130001'))).toEqual({ ok: false, reason: 'structure' }); // month 13
    expect(validateIin(withCheckDigit('85000130001'))).toEqual({ ok: false, reason: 'structure' }); // month 00
    expect(validateIin(withCheckDigit('85010030001'))).toEqual({ ok: false, reason: 'structure' }); // day 00
  });

  it('reports format and check digit like validateBin', () => {
    expect(validateIin('85031230000')).toEqual({ ok: false, reason: 'format' });
    expect(validateIin('850312300003')).toEqual({ ok: false, reason: 'check_digit' });
  });
});

describe('makeValidBin', () => {
  it('appends the check digit', () => {
    expect(makeValidBin('94014000038')).toBe('940140000385');
    expect(makeValidBin('99034000050')).toBe('990340000504');
  });

  it('returns null when the prefix admits no check digit', () => {
    expect(makeValidBin('99034000053')).toBeNull();
  });

  it('refuses prefixes that are not 11 digits or not BIN-shaped', () => {
    expect(() => makeValidBin('9401400003')).toThrow(RangeError);
    expect(() => makeValidBin('85031230000')).toThrow(RangeError);
  });

  it('produced the demo BINs, all valid head units of resident legal entities', () => {
    for (const bin of Object.values(DEMO_BINS)) {
      expect(makeValidBin(bin.slice(0, 11))).toBe(bin);
      const result = validateBin(bin);
      expect(result.ok && result.structure.entityType).toBe('resident_legal_entity');
      expect(result.ok && result.structure.attribute).toBe('head_unit');
    }
    expect(new Set(Object.values(DEMO_BINS)).size).toBe(6);
  });
});

/** Test helper for IINs; fails loudly instead of returning a number that cannot exist. */
function withCheckDigit(first11: string): string {
  const digit = checkDigit(first11);
  if (digit === null) throw new Error(`${first11} admits no check digit; pick another serial`);
  return `${first11}${digit}`;
}
