/**
 * The sign-in challenge: a random nonce the browser has signed with an AUTH key through NCALayer,
 * valid for a short time and once. Pure: the caller keeps the challenge (the database part comes
 * with sign-in) and passes it back with the time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface SignInChallenge {
  nonce: string;
  issuedAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export const CHALLENGE_TTL_MS = 120_000;

export function issueChallenge(options: { now: Date; ttlMs?: number; random?: (size: number) => Uint8Array }): SignInChallenge {
  const random = options.random ?? ((size: number) => new Uint8Array(randomBytes(size)));
  return {
    nonce: Buffer.from(random(32)).toString('base64url'),
    issuedAt: options.now,
    expiresAt: new Date(options.now.getTime() + (options.ttlMs ?? CHALLENGE_TTL_MS)),
    usedAt: null,
  };
}

/** The bytes the user signs: the nonce as UTF-8 text. */
export function challengeContent(challenge: Pick<SignInChallenge, 'nonce'>): Uint8Array {
  return new Uint8Array(Buffer.from(challenge.nonce, 'utf8'));
}

export type RedeemResult =
  | { ok: true; challenge: SignInChallenge }
  | { ok: false; reason: 'unknown' | 'mismatch' | 'used' | 'expired' };

/** Accepts the challenge once: the returned challenge is marked used and must replace the kept one. */
export function redeemChallenge(kept: SignInChallenge | null, presentedNonce: string, now: Date): RedeemResult {
  if (!kept) return { ok: false, reason: 'unknown' };
  const expected = Buffer.from(kept.nonce);
  const presented = Buffer.from(presentedNonce);
  if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return { ok: false, reason: 'mismatch' };
  if (kept.usedAt) return { ok: false, reason: 'used' };
  if (now.getTime() >= kept.expiresAt.getTime() || now.getTime() < kept.issuedAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, challenge: { ...kept, usedAt: now } };
}
