import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

/**
 * Sign-in with ЭЦП (000 §4.2):
 *   - users.iin becomes unique: the certificate's IIN finds exactly one account;
 *   - sign_in_challenges: the single-use random nonces a browser signs with an AUTH key;
 *   - user_certificates: the certificates each user signed in with (first and last use), linked
 *     at the first sign-in with ЭЦП.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE UNIQUE INDEX users_iin_unique ON users (iin) WHERE iin IS NOT NULL`.execute(db);
  await sql`
    CREATE TABLE sign_in_challenges (
      nonce text PRIMARY KEY CHECK (length(nonce) BETWEEN 16 AND 200),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      CHECK (expires_at > created_at)
    )`.execute(db);
  await sql`CREATE INDEX sign_in_challenges_expires_idx ON sign_in_challenges (expires_at)`.execute(db);
  await sql`
    CREATE TABLE user_certificates (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id),
      serial_number text NOT NULL,
      issuer text NOT NULL,
      subject text NOT NULL,
      iin char(12) NOT NULL CHECK (iin ~ '^[0-9]{12}$'),
      bin char(12) CHECK (bin ~ '^[0-9]{12}$'),
      not_after timestamptz NOT NULL,
      first_used_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (issuer, serial_number)
    )`.execute(db);
  await sql`CREATE INDEX user_certificates_user_idx ON user_certificates (user_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE user_certificates`.execute(db);
  await sql`DROP TABLE sign_in_challenges`.execute(db);
  await sql`DROP INDEX users_iin_unique`.execute(db);
}
