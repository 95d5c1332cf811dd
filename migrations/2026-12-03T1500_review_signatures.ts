import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

/**
 * The ЭЦП signatures of a review case (000 §5.4, 002): the staff member's signature over the
 * submission's manifest. Each row keeps the exact bytes signed and the CMS, so anyone can verify
 * it again later, and what the verification found when it was accepted (signer, certificate,
 * revocation answer). One signature per case and purpose.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('review_signatures')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('case_id', 'uuid', (c) => c.notNull().references('review_cases.id'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose IN ('submission')`))
    .addColumn('signed_by', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('manifest', 'bytea', (c) => c.notNull())
    .addColumn('cms', 'bytea', (c) => c.notNull())
    .addColumn('signer_name', 'text')
    .addColumn('signer_iin', 'text')
    .addColumn('signer_organization', 'text')
    .addColumn('signer_bin', 'text')
    .addColumn('signing_time', 'timestamptz')
    .addColumn('certificate_serial', 'text', (c) => c.notNull())
    .addColumn('certificate_issuer', 'text', (c) => c.notNull())
    .addColumn('certificate_subject', 'text', (c) => c.notNull())
    .addColumn('revocation_status', 'text', (c) => c.notNull().check(sql`revocation_status IN ('good', 'unavailable')`))
    .addColumn('revocation_source', 'text')
    .addColumn('verified_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('review_signatures_case_purpose_key', ['case_id', 'purpose'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('review_signatures').execute();
}
