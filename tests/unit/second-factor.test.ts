import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { checkTotpCode, describeEnrolment, newTotpSecret, normalizeTotpCode, totpStepAt } from '../../src/modules/auth/second-factor.service.ts';

const secret = newTotpSecret();
// The middle of a 30-second step, so ±1 step is unambiguous.
const now = Date.UTC(2026, 2, 20, 9, 0, 15);
const step = totpStepAt(now);

/** The code an authenticator app shows `steps` steps from `now`. */
function codeAt(steps: number, key = secret): string {
  return OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(key), algorithm: 'SHA1', digits: 6, period: 30, timestamp: now + steps * 30_000 });
}

/** A well-formed code that is none of the accepted ones. */
function wrongCode(): string {
  const accepted = new Set([codeAt(-1), codeAt(0), codeAt(1)]);
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!accepted.has(candidate)) return candidate;
  }
}

describe('TOTP code check', () => {
  it('makes a 160-bit base32 secret, different every time', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
  });

  it('accepts the code of the current step and of one step either side, naming the step it matched', () => {
    expect(checkTotpCode({ secret, code: codeAt(0), nowMs: now, lastStep: null })).toEqual({ ok: true, step });
    expect(checkTotpCode({ secret, code: codeAt(-1), nowMs: now, lastStep: null })).toEqual({ ok: true, step: step - 1 });
    expect(checkTotpCode({ secret, code: codeAt(1), nowMs: now, lastStep: null })).toEqual({ ok: true, step: step + 1 });
  });

  it('refuses codes two or more steps away', () => {
    for (const offset of [-3, -2, 2, 3]) {
      const code = codeAt(offset);
      // A code of a far step may by chance equal an accepted one (one in 10^6): nothing to test then.
      if ([codeAt(-1), codeAt(0), codeAt(1)].includes(code)) continue;
      expect(checkTotpCode({ secret, code, nowMs: now, lastStep: null })).toEqual({ ok: false, reason: 'wrong' });
    }
  });

  it('refuses a code of another secret and a wrong code', () => {
    const other = newTotpSecret();
    const foreign = codeAt(0, other);
    if (![codeAt(-1), codeAt(0), codeAt(1)].includes(foreign)) {
      expect(checkTotpCode({ secret, code: foreign, nowMs: now, lastStep: null })).toEqual({ ok: false, reason: 'wrong' });
    }
    expect(checkTotpCode({ secret, code: wrongCode(), nowMs: now, lastStep: null })).toEqual({ ok: false, reason: 'wrong' });
  });

  it('accepts a code once only: the step used and every earlier step are refused as replays', () => {
    const first = checkTotpCode({ secret, code: codeAt(0), nowMs: now, lastStep: null });
    expect(first).toEqual({ ok: true, step });
    expect(checkTotpCode({ secret, code: codeAt(0), nowMs: now, lastStep: step })).toEqual({ ok: false, reason: 'replayed' });
    expect(checkTotpCode({ secret, code: codeAt(-1), nowMs: now, lastStep: step })).toEqual({ ok: false, reason: 'replayed' });
    // Later, within the window, the same code is still a replay.
    expect(checkTotpCode({ secret, code: codeAt(0), nowMs: now + 30_000, lastStep: step })).toEqual({ ok: false, reason: 'replayed' });
    // The next step's code is fresh.
    expect(checkTotpCode({ secret, code: codeAt(1), nowMs: now, lastStep: step })).toEqual({ ok: true, step: step + 1 });
  });

  it('after a code of the next step, refuses the current one', () => {
    expect(checkTotpCode({ secret, code: codeAt(0), nowMs: now, lastStep: step + 1 })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('reads codes as people type them, and calls anything else malformed rather than wrong', () => {
    const code = codeAt(0);
    expect(normalizeTotpCode(` ${code.slice(0, 3)} ${code.slice(3)} `)).toBe(code);
    expect(checkTotpCode({ secret, code: `${code.slice(0, 3)}-${code.slice(3)}`, nowMs: now, lastStep: null })).toEqual({ ok: true, step });
    for (const malformed of ['', '12345', '1234567', 'abcdef', '１２３４５６']) {
      expect(checkTotpCode({ secret, code: malformed, nowMs: now, lastStep: null })).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});

describe('enrolment details', () => {
  it('gives the otpauth URI with the portal as issuer and the e-mail as label, a QR image and the key in groups', async () => {
    const enrolment = await describeEnrolment(secret, 'aigerim@gov.example.kz');
    const uri = new URL(enrolment.uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Architecture portal:aigerim@gov.example.kz');
    expect(uri.searchParams.get('issuer')).toBe('Architecture portal');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
    expect(enrolment.secretForTyping.replaceAll(' ', '')).toBe(secret);
    expect(enrolment.secretForTyping.split(' ').every((group) => group.length === 4)).toBe(true);
    expect(enrolment.qrCodeDataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
    const svg = Buffer.from(enrolment.qrCodeDataUrl.split(',')[1]!, 'base64').toString('utf8');
    expect(svg).toContain('<svg');
  });
});
