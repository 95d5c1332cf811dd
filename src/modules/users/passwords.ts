import { type Algorithm, hash, verify } from '@node-rs/argon2';

// @node-rs/argon2 declares Algorithm as a const enum, which type stripping cannot inline:
// 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm.Argon2id;

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): strong enough, and a sign-in stays well
// under 100 ms on the 2-core machines the portal runs on.
const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
