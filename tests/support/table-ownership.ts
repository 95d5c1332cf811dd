/**
 * Which module writes which table (README, "How the code is laid out"), and the check that the
 * code keeps to it: every INSERT, UPDATE, DELETE or MERGE of a table — kysely's builders or SQL
 * text — stands in its owner's repository file and nowhere else, and a feature module's SQL stands
 * only in its repository files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Table → the one file (relative to src/) allowed to write it. Tables written only by triggers map to null. */
export const TABLE_OWNERS: Record<string, string | null> = {
  organizations: 'modules/organizations/organizations.repository.ts',
  users: 'modules/users/users.repository.ts',
  audit_events: 'modules/audit/audit.repository.ts',
  // Filled by the audit log's insert trigger (migration …_audit_workbench).
  audit_event_scopes: null,
  access_events: 'modules/auditing/auditing.repository.ts',
  audit_chain_heads: 'modules/auditing/auditing.repository.ts',
  audit_verifications: 'modules/auditing/auditing.repository.ts',
  sessions: 'modules/auth/auth.repository.ts',
  auth_tokens: 'modules/auth/auth.repository.ts',
  sign_in_challenges: 'modules/auth/auth.repository.ts',
  user_certificates: 'modules/auth/auth.repository.ts',
  mail_outbox: 'modules/notifications/notifications.repository.ts',
  calendar_years: 'modules/calendar/calendar.repository.ts',
  account_requests: 'modules/accounts/accounts.repository.ts',
  account_request_people: 'modules/accounts/accounts.repository.ts',
  objects: 'modules/objects/objects.repository.ts',
  object_versions: 'modules/objects/objects.repository.ts',
  lifecycle_events: 'modules/objects/objects.repository.ts',
  update_duties: 'modules/objects/objects.repository.ts',
  document_versions: 'modules/documents/documents.repository.ts',
  document_files: 'modules/documents/documents.repository.ts',
  fixity_runs: 'modules/documents/documents.repository.ts',
  fixity_alerts: 'modules/documents/documents.repository.ts',
  review_cases: 'modules/reviews/reviews.repository.ts',
  review_signatures: 'modules/reviews/reviews.repository.ts',
  review_comments: 'modules/reviews/reviews.repository.ts',
  account_code_counters: 'modules/reviews/reviews.repository.ts',
  issued_documents: 'modules/reviews/reviews.repository.ts',
  // Moved by triggers in the changing transaction (migrations …_object_page_stamps), read by src/web/page-stamp.ts.
  object_page_stamps: null,
  page_reference_stamp: null,
};

const BUILDER_WRITE = /\.(insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(\s*['"]([a-z_]+)(?:\s+as\s+[a-z_]+)?['"]/g;
const SQL_WRITE = /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO)\s+([a-z_]+)\b/g;
const ANY_QUERY = /\.(selectFrom|insertInto|updateTable|deleteFrom|selectNoFrom|replaceInto|mergeInto)\(|\bsql(<[^>`]*>)?`/;

function sourceFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full, base);
    return entry.name.endsWith('.ts') ? [path.relative(base, full).split(path.sep).join('/')] : [];
  });
}

export interface TableWrite {
  file: string;
  line: number;
  table: string;
}

/** Every write of a known table in the tree at `srcDir`. */
export function tableWrites(srcDir: string, tables: Iterable<string> = Object.keys(TABLE_OWNERS)): TableWrite[] {
  const known = new Set(tables);
  const writes: TableWrite[] = [];
  for (const file of sourceFiles(srcDir)) {
    const lines = readFileSync(path.join(srcDir, file), 'utf8').split('\n');
    lines.forEach((text, index) => {
      for (const pattern of [BUILDER_WRITE, SQL_WRITE]) {
        for (const match of text.matchAll(pattern)) {
          if (known.has(match[2]!)) writes.push({ file, line: index + 1, table: match[2]! });
        }
      }
    });
  }
  return writes;
}

/** Writes outside their table's owner, and SQL of a feature module outside its repository files. */
export function ownershipProblems(srcDir: string, owners: Record<string, string | null> = TABLE_OWNERS): string[] {
  const problems = tableWrites(srcDir, Object.keys(owners))
    .filter((write) => owners[write.table] !== write.file)
    .map((write) => `${write.file}:${write.line} writes ${write.table}, owned by ${owners[write.table] ?? 'the database triggers'}`);
  for (const file of sourceFiles(srcDir)) {
    if (!file.startsWith('modules/') || file.endsWith('.repository.ts')) continue;
    const lines = readFileSync(path.join(srcDir, file), 'utf8').split('\n');
    const index = lines.findIndex((text) => ANY_QUERY.test(text));
    if (index !== -1) problems.push(`${file}:${index + 1} holds SQL outside a repository`);
  }
  return problems;
}
