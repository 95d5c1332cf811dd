import { describe, expect, it } from 'vitest';
import {
  formatAccountCode,
  isValidAccountCode,
  isValidPrefix,
  mod97_10CheckDigits,
  parseAccountCode,
} from '../../src/modules/reviews/account-code.ts';

/**
 * A reference written differently from the module: the whole string turned into one decimal
 * number (letters A=10..Z=35) and reduced with BigInt.
 */
function referenceValue(text: string): bigint {
  let digits = '';
  for (const char of text) {
    if (/[0-9]/.test(char)) digits += char;
    else if (/[A-Z]/.test(char)) digits += String(char.charCodeAt(0) - 'A'.charCodeAt(0) + 10);
    else throw new Error(`unexpected ${char}`);
  }
  return BigInt(digits);
}

function referenceCheck(text: string): string {
  const remainder = referenceValue(text + '00') % 97n;
  return (98n - remainder).toString().padStart(2, '0');
}

/** The IBAN property: payload followed by its check digits is 1 mod 97. */
function satisfiesMod97(code: string): boolean {
  return referenceValue(code.replaceAll('-', '')) % 97n === 1n;
}

const SAMPLE_PARTS = [
  { prefix: 'AP', year: 2026, sequence: 123 },
  { prefix: 'AP', year: 2026, sequence: 1 },
  { prefix: 'AP', year: 2027, sequence: 999_999 },
  { prefix: 'A', year: 2030, sequence: 40_517 },
  { prefix: 'KZARCH', year: 2025, sequence: 808_080 },
  { prefix: 'AP', year: 2026, sequence: 1_000_000 },
];

const DIGITS = '0123456789';

describe('mod97_10CheckDigits', () => {
  it('gives the check digits of published IBANs (country code moved to the end)', () => {
    // GB82 WEST 1234 5698 7654 32 and DE89 3704 0044 0532 0130 00
    expect(mod97_10CheckDigits('WEST12345698765432GB')).toBe('82');
    expect(mod97_10CheckDigits('370400440532013000DE')).toBe('89');
  });

  it('agrees with a BigInt reference on many inputs and always gives 02..98', () => {
    for (let i = 0; i < 2000; i++) {
      const text = `AP${2000 + (i % 50)}${String(i * 7919).padStart(6, '0')}`;
      const check = mod97_10CheckDigits(text);
      expect(check).toBe(referenceCheck(text));
      expect(Number(check)).toBeGreaterThanOrEqual(2);
      expect(Number(check)).toBeLessThanOrEqual(98);
    }
  });

  it('reads lowercase letters as uppercase and refuses anything else', () => {
    expect(mod97_10CheckDigits('west12345698765432gb')).toBe('82');
    expect(() => mod97_10CheckDigits('')).toThrow(RangeError);
    expect(() => mod97_10CheckDigits('AP-2026')).toThrow(RangeError);
    expect(() => mod97_10CheckDigits('АР2026')).toThrow(RangeError); // Cyrillic А, Р
  });
});

describe('isValidPrefix', () => {
  it('takes 1 to 6 uppercase Latin letters only', () => {
    for (const ok of ['A', 'AP', 'KZARCH']) expect(isValidPrefix(ok)).toBe(true);
    for (const bad of ['', 'ap', 'Ap', 'ABCDEFG', 'A1', 'A-P', ' AP', 'АР', 'ÄP']) expect(isValidPrefix(bad)).toBe(false);
  });
});

describe('formatAccountCode', () => {
  it('writes PREFIX-YYYY-SSSSSS-CC with check digits the reference agrees with', () => {
    const code = formatAccountCode({ prefix: 'AP', year: 2026, sequence: 123 });
    expect(code).toMatch(/^AP-2026-000123-\d\d$/);
    expect(code.slice(-2)).toBe(referenceCheck('AP2026000123'));
    // By hand: A=10, P=25, so 1025 2026 000123 00 = 1025202600012300 ≡ 94 (mod 97) → 98 − 94 = 04.
    expect(code).toBe('AP-2026-000123-04');
    for (const parts of SAMPLE_PARTS) {
      const formatted = formatAccountCode(parts);
      expect(satisfiesMod97(formatted), formatted).toBe(true);
      expect(isValidAccountCode(formatted), formatted).toBe(true);
    }
  });

  it('writes sequences from 1 000 000 on with all their digits and no padding', () => {
    expect(formatAccountCode({ prefix: 'AP', year: 2026, sequence: 1_000_000 })).toMatch(/^AP-2026-1000000-\d\d$/);
    expect(formatAccountCode({ prefix: 'AP', year: 2026, sequence: 123_456_789 })).toMatch(/^AP-2026-123456789-\d\d$/);
  });

  it('refuses parts it cannot write', () => {
    const bad = [
      { prefix: 'ap', year: 2026, sequence: 1 },
      { prefix: 'ABCDEFG', year: 2026, sequence: 1 },
      { prefix: 'AP', year: 999, sequence: 1 },
      { prefix: 'AP', year: 10000, sequence: 1 },
      { prefix: 'AP', year: 2026.5, sequence: 1 },
      { prefix: 'AP', year: 2026, sequence: 0 },
      { prefix: 'AP', year: 2026, sequence: -5 },
      { prefix: 'AP', year: 2026, sequence: 1.5 },
      { prefix: 'AP', year: 2026, sequence: Number.MAX_SAFE_INTEGER + 1 },
      { prefix: 'AP', year: 2026, sequence: Number.NaN },
    ];
    for (const parts of bad) expect(() => formatAccountCode(parts), JSON.stringify(parts)).toThrow(RangeError);
  });
});

describe('parseAccountCode', () => {
  it('is the inverse of formatAccountCode', () => {
    for (const parts of SAMPLE_PARTS) {
      const code = formatAccountCode(parts);
      const parsed = parseAccountCode(code);
      expect(parsed).toEqual({ ...parts, check: code.slice(-2) });
      expect(formatAccountCode({ prefix: parsed!.prefix, year: parsed!.year, sequence: parsed!.sequence })).toBe(code);
    }
    const big = { prefix: 'AP', year: 2026, sequence: Number.MAX_SAFE_INTEGER };
    expect(parseAccountCode(formatAccountCode(big))).toMatchObject(big);
  });

  it('trims and uppercases what people type', () => {
    const code = formatAccountCode({ prefix: 'AP', year: 2026, sequence: 42 });
    expect(parseAccountCode(`  ${code.toLowerCase()}\n`)).toMatchObject({ prefix: 'AP', year: 2026, sequence: 42 });
    expect(isValidAccountCode(` ${code} `)).toBe(true);
  });

  it('returns null for a wrong check', () => {
    const code = formatAccountCode({ prefix: 'AP', year: 2026, sequence: 42 });
    expect(parseAccountCode(`${code.slice(0, -2)}${code.endsWith('00') ? '01' : '00'}`)).toBeNull();
  });
});

describe('isValidAccountCode', () => {
  const codes = SAMPLE_PARTS.map(formatAccountCode);

  it('rejects every single-digit substitution in the year, the sequence and the check', () => {
    let tried = 0;
    for (const code of codes) {
      for (let i = 0; i < code.length; i++) {
        const char = code[i]!;
        if (!DIGITS.includes(char)) continue;
        for (const other of DIGITS) {
          if (other === char) continue;
          const typo = code.slice(0, i) + other + code.slice(i + 1);
          tried++;
          expect(isValidAccountCode(typo), `${code} → ${typo}`).toBe(false);
        }
      }
    }
    expect(tried).toBeGreaterThan(500);
  });

  it('rejects every single-letter substitution in the prefix', () => {
    for (const code of codes) {
      const prefixLength = code.indexOf('-');
      for (let i = 0; i < prefixLength; i++) {
        for (let letter = 65; letter <= 90; letter++) {
          const other = String.fromCharCode(letter);
          if (other === code[i]) continue;
          const typo = code.slice(0, i) + other + code.slice(i + 1);
          expect(isValidAccountCode(typo), `${code} → ${typo}`).toBe(false);
        }
      }
    }
  });

  it('rejects every transposition of two adjacent unequal digits, across the hyphens too', () => {
    let tried = 0;
    for (const code of codes) {
      // Positions of the digits in the code; neighbours in this list are adjacent in the digit string.
      const positions = [...code].flatMap((char, index) => (DIGITS.includes(char) ? [index] : []));
      for (let k = 0; k + 1 < positions.length; k++) {
        const i = positions[k]!;
        const j = positions[k + 1]!;
        if (code[i] === code[j]) continue;
        const chars = [...code];
        [chars[i], chars[j]] = [chars[j]!, chars[i]!];
        const swapped = chars.join('');
        tried++;
        expect(isValidAccountCode(swapped), `${code} → ${swapped}`).toBe(false);
      }
    }
    expect(tried).toBeGreaterThan(30);
  });

  it('rejects transpositions of adjacent unequal prefix letters', () => {
    const code = formatAccountCode({ prefix: 'KZARCH', year: 2026, sequence: 7 });
    for (let i = 0; i + 1 < 6; i++) {
      const chars = [...code];
      [chars[i], chars[i + 1]] = [chars[i + 1]!, chars[i]!];
      expect(isValidAccountCode(chars.join(''))).toBe(false);
    }
  });

  it('rejects bad formats', () => {
    const good = formatAccountCode({ prefix: 'AP', year: 2026, sequence: 123 }); // AP-2026-000123-04
    const bad = [
      '',
      '   ',
      'AP2026000123' + good.slice(-2),
      'AP-2026-000123' + good.slice(-2),
      'AP-2026-000123-4',
      'AP-2026-000123-041',
      'AP-26-000123-' + good.slice(-2),
      'AP-2026-123-' + good.slice(-2),
      'AP-2026-00123-' + good.slice(-2),
      'AP–2026–000123–04', // en dashes
      'AP - 2026 - 000123 - 04',
      'AP-2026-000123-04-',
      'A1-2026-000123-' + mod97_10CheckDigits('A12026000123'),
      'ABCDEFG-2026-000123-' + mod97_10CheckDigits('ABCDEFG2026000123'),
      'АР-2026-000123-04', // Cyrillic letters
      'AP-２０２６-000123-04', // full-width digits
      'AP-0999-000123-' + mod97_10CheckDigits('AP0999000123'),
      'AP-2026-000000-' + mod97_10CheckDigits('AP2026000000'),
      // 7+ digits must not start with a zero: one spelling per number
      'AP-2026-0000123-' + mod97_10CheckDigits('AP20260000123'),
      // more than MAX_SAFE_INTEGER
      'AP-2026-99999999999999999-' + mod97_10CheckDigits('AP202699999999999999999'),
    ];
    expect(isValidAccountCode(good)).toBe(true);
    for (const code of bad) expect(isValidAccountCode(code), code).toBe(false);
    expect(isValidAccountCode(null as unknown as string)).toBe(false);
  });

  it('checks the prefix when asked to', () => {
    const code = formatAccountCode({ prefix: 'AP', year: 2026, sequence: 5 });
    expect(isValidAccountCode(code, { prefix: 'AP' })).toBe(true);
    expect(isValidAccountCode(code, { prefix: 'ap' })).toBe(true);
    expect(isValidAccountCode(code, { prefix: 'KZ' })).toBe(false);
    expect(isValidAccountCode(code, { prefix: 'A' })).toBe(false);
  });
});
