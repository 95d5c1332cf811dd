import type { ColumnType, Generated, Selectable } from 'kysely';

/** Timestamps are written as Date (or left to defaults) and always read back as Date. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export const ORGANIZATION_KINDS = [
  'central_state_body',
  'local_executive_body',
  'state_legal_entity',
  'quasi_public_entity',
] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

export const ROLES = ['staff', 'reviewer', 'auditor', 'admin', 'authorized_officer'] as const;
export type Role = (typeof ROLES)[number];

export const USER_STATUSES = ['pending_activation', 'active', 'deactivated'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface OrganizationsTable {
  id: Generated<string>;
  bin: string;
  kind: OrganizationKind;
  name_kk: string;
  name_ru: string;
  name_en: string | null;
  created_at: Timestamp;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  surname: string;
  given_name: string;
  patronymic: string | null;
  position: string | null;
  phone: string | null;
  role: Role;
  organization_id: string | null;
  password_hash: string | null;
  status: UserStatus;
  preferred_language: string | null;
  created_at: Timestamp;
  failed_sign_ins: Generated<number>;
  locked_until: Timestamp | null;
  totp_secret: string | null;
  totp_enabled_at: Timestamp | null;
  totp_last_step: string | null;
  iin: string | null;
  password_changed_at: Timestamp | null;
  last_sign_in_at: Timestamp | null;
}

export interface SessionsTable {
  sid: string;
  user_id: string | null;
  data: unknown;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export const AUTH_TOKEN_PURPOSES = ['activation', 'password_reset'] as const;
export type AuthTokenPurpose = (typeof AUTH_TOKEN_PURPOSES)[number];

export interface AuthTokensTable {
  token_hash: string;
  user_id: string;
  purpose: AuthTokenPurpose;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

/** A nonce a browser signs with an AUTH key to sign in with ЭЦП; accepted once, before expires_at. */
export interface SignInChallengesTable {
  nonce: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

/** A certificate a user signed in with (linked at its first sign-in with ЭЦП). */
export interface UserCertificatesTable {
  id: Generated<string>;
  user_id: string;
  serial_number: string;
  issuer: string;
  subject: string;
  iin: string;
  bin: string | null;
  not_after: Timestamp;
  first_used_at: Timestamp;
  last_used_at: Timestamp;
}

export interface MailOutboxTable {
  id: Generated<string>;
  recipient: string;
  template: string;
  subject: string;
  body_text: string;
  body_html: string;
  entity_type: string | null;
  entity_id: string | null;
  created_at: Timestamp;
  status: Generated<'pending' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  last_error: string | null;
  sent_at: Timestamp | null;
}

export interface CalendarYearsTable {
  year: number;
  data: unknown;
  updated_at: Timestamp;
  updated_by: string | null;
}

export interface AccountRequestsTable {
  id: Generated<string>;
  number: string;
  organization_name: string;
  organization_bin: string;
  organization_kind: OrganizationKind;
  organization_id: string | null;
  contact_name: string;
  contact_email: string;
  contact_phone: string;
  language: 'kk' | 'ru' | 'en';
  received_at: Timestamp;
  due_at: Timestamp;
  status: Generated<'open' | 'closed'>;
  closed_at: Timestamp | null;
}

export interface AccountRequestPeopleTable {
  id: Generated<string>;
  request_id: string;
  position_no: number;
  division: string;
  surname: string;
  given_name: string;
  patronymic: string | null;
  position: string;
  iin: string;
  phone: string;
  email: string;
  purpose: string;
  decision: Generated<'pending' | 'approved' | 'rejected'>;
  rejection_reason: string | null;
  decided_by: string | null;
  decided_at: Timestamp | null;
  user_id: string | null;
}

export interface AuditEventsTable {
  id: string;
  occurred_at: Timestamp;
  actor_user_id: string | null;
  actor_organization_id: string | null;
  /** Who acted when no user did: "system:demo-data", "system:migration", "anonymous". */
  actor_label: string | null;
  entity_type: string;
  entity_id: string;
  action: string;
  before: unknown;
  after: unknown;
  request_id: string | null;
  prev_hash: string;
  hash: string;
  /** The event's words for full-text filtering: a stored generated column, never written. */
  details_tsv: Generated<string>;
}

/** The object and organization an audit event is about, filled by a trigger on insert (migration …_audit_workbench). */
export interface AuditEventScopesTable {
  event_id: string;
  object_id: string | null;
  organization_id: string | null;
}

export const ACCESS_KINDS = ['object_page', 'document_download', 'extract_download', 'export'] as const;
export type AccessKind = (typeof ACCESS_KINDS)[number];

/** Reads that 004 §16.4 asks to be registered: append-only, written in batches. */
export interface AccessEventsTable {
  id: Generated<string>;
  occurred_at: Timestamp;
  user_id: string | null;
  organization_id: string | null;
  kind: AccessKind;
  entity_id: string;
  object_id: string | null;
  request_id: string | null;
}

/** The head of the audit chain as published for a day. */
export interface AuditChainHeadsTable {
  day: string;
  last_event_id: string;
  event_count: string;
  head_hash: string;
  published_at: Timestamp;
}

export interface AuditVerificationsTable {
  id: Generated<string>;
  started_at: Timestamp;
  finished_at: Timestamp;
  trigger: 'nightly' | 'manual' | 'published_heads';
  requested_by: string | null;
  ok: boolean;
  checked: string;
  last_hash: string;
  broken_event_id: string | null;
  broken_reason: string | null;
}

/** Where an object stands with the service integrator (objects.review_status). */
export const OBJECT_REVIEW_STATUSES = ['draft', 'submitted', 'returned', 'accepted'] as const;

export interface ObjectsTable {
  id: Generated<string>;
  organization_id: string;
  version: Generated<number>;
  passport: unknown;
  kind: string;
  class: number;
  name_kk: string;
  name_ru: string;
  short_name_kk: string | null;
  short_name_ru: string | null;
  purpose_kk: string;
  purpose_ru: string;
  stage: 'creation' | 'industrial_operation' | 'development' | 'termination';
  step: string | null;
  /** 'YYYY-MM-DD' (date columns are read as text, see connection.ts). */
  commissioned_on: string | null;
  terminated_on: string | null;
  review_status: Generated<string>;
  account_code: string | null;
  created_at: Timestamp;
  created_by: string | null;
  updated_at: Timestamp;
  updated_by: string | null;
  search_ru: Generated<unknown>;
  search_kk: Generated<unknown>;
  search_text: Generated<string>;
  /** The text of the object's current accepted documents, for full-text search. */
  documents_text: Generated<string>;
  /** The review case whose submission was last approved: the registry's approved version. */
  approved_case_id: string | null;
}

export interface ObjectVersionsTable {
  object_id: string;
  version: number;
  passport: unknown;
  stage: string;
  step: string | null;
  information_changed_on: string;
  changed_at: Timestamp;
  changed_by: string | null;
  note: string | null;
}

export interface LifecycleEventsTable {
  id: Generated<string>;
  object_id: string;
  move: string;
  from_stage: string;
  from_step: string | null;
  to_stage: string;
  to_step: string | null;
  occurred_on: string;
  recorded_at: Timestamp;
  recorded_by: string | null;
}

export interface UpdateDutiesTable {
  id: Generated<string>;
  object_id: string;
  organization_id: string;
  source: 'information_changed' | 'lifecycle_move' | 'reviewer_report';
  description: string | null;
  changed_on: string;
  due_on: string;
  opened_at: Timestamp;
  opened_by: string | null;
  fulfilled_at: Timestamp | null;
  fulfilled_by: string | null;
  fulfilled_version: number | null;
}

export const DOCUMENT_SLOTS = ['pdf', 'docx'] as const;
export type DocumentSlot = (typeof DOCUMENT_SLOTS)[number];
export const DOCUMENT_FILE_STATUSES = ['queued', 'checking', 'accepted', 'rejected', 'check_failed'] as const;
export type DocumentFileStatus = (typeof DOCUMENT_FILE_STATUSES)[number];

export interface DocumentVersionsTable {
  id: Generated<string>;
  object_id: string;
  kind: string;
  version: number;
  title: string | null;
  uploaded_at: Timestamp;
  uploaded_by: string | null;
}

export interface DocumentFilesTable {
  id: Generated<string>;
  document_version_id: string;
  slot: DocumentSlot;
  sha256: string;
  /** bigint, read back as text by pg. */
  size_bytes: ColumnType<string, number | string, number | string>;
  original_name: string;
  media_type: string;
  status: Generated<DocumentFileStatus>;
  reasons: Generated<unknown>;
  report: unknown;
  failed_rules: unknown;
  declared_pdfa: string | null;
  validated_as: string | null;
  page_count: number | null;
  text: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: Timestamp;
  checked_at: Timestamp | null;
}

export interface FixityRunsTable {
  id: Generated<string>;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  files_checked: Generated<number>;
  problems: Generated<number>;
}

export interface FixityAlertsTable {
  id: Generated<string>;
  run_id: string;
  sha256: string;
  problem: 'missing' | 'mismatch';
  actual_sha256: string | null;
  detected_at: Timestamp;
}

export const REVIEW_CASE_STATUSES = ['open', 'returned', 'approved'] as const;
export type ReviewCaseStatus = (typeof REVIEW_CASE_STATUSES)[number];

export interface ReviewCasesTable {
  id: Generated<string>;
  number: string;
  object_id: string;
  organization_id: string;
  kind: 'registration' | 'update';
  object_version: number;
  snapshot: unknown;
  submitted_at: Timestamp;
  submitted_by: string;
  due_at: Timestamp;
  status: Generated<ReviewCaseStatus>;
  taken_by: string | null;
  taken_at: Timestamp | null;
  decided_at: Timestamp | null;
  decided_by: string | null;
  decision_note: string | null;
  reminder_sent_at: Timestamp | null;
}

export interface ReviewCommentsTable {
  id: Generated<string>;
  case_id: string;
  target_type: 'field' | 'document' | 'general';
  target: string | null;
  body: string;
  author_id: string;
  created_at: Timestamp;
}

export interface ReviewSignaturesTable {
  id: Generated<string>;
  case_id: string;
  purpose: 'submission';
  signed_by: string;
  manifest: Buffer;
  cms: Buffer;
  signer_name: string | null;
  signer_iin: string | null;
  signer_organization: string | null;
  signer_bin: string | null;
  signing_time: Timestamp | null;
  certificate_serial: string;
  certificate_issuer: string;
  certificate_subject: string;
  /** 'unavailable' only when PKI_REVOCATION_UNAVAILABLE=allow let it through. */
  revocation_status: 'good' | 'unavailable';
  revocation_source: string | null;
  verified_at: Timestamp;
}

export interface AccountCodeCountersTable {
  year: number;
  last_value: number;
}

export interface IssuedDocumentsTable {
  id: Generated<string>;
  number: string;
  kind: 'registration_extract';
  object_id: string;
  case_id: string;
  account_code: string;
  owner_bin: string;
  issued_on: string;
  issued_at: Timestamp;
  approved_by: string;
  details: unknown;
  /** Both null until the extract worker has rendered and stored the PDF (after the approval's commit). */
  pdf_sha256: string | null;
  pdf_size_bytes: number | null;
}

/** Moved by triggers on every change to what an object's page shows (migration object_page_stamps). */
export interface ObjectPageStampsTable {
  object_id: string;
  stamp: ColumnType<string, never, never>;
}

/** One row, moved by changes to what many pages show: organizations, people's names, the calendar, objects' names. */
export interface PageReferenceStampTable {
  id: ColumnType<boolean, never, never>;
  stamp: ColumnType<string, never, never>;
}

export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  audit_events: AuditEventsTable;
  audit_event_scopes: AuditEventScopesTable;
  access_events: AccessEventsTable;
  audit_chain_heads: AuditChainHeadsTable;
  audit_verifications: AuditVerificationsTable;
  sessions: SessionsTable;
  auth_tokens: AuthTokensTable;
  sign_in_challenges: SignInChallengesTable;
  user_certificates: UserCertificatesTable;
  mail_outbox: MailOutboxTable;
  calendar_years: CalendarYearsTable;
  account_requests: AccountRequestsTable;
  account_request_people: AccountRequestPeopleTable;
  objects: ObjectsTable;
  object_versions: ObjectVersionsTable;
  lifecycle_events: LifecycleEventsTable;
  update_duties: UpdateDutiesTable;
  document_versions: DocumentVersionsTable;
  document_files: DocumentFilesTable;
  fixity_runs: FixityRunsTable;
  fixity_alerts: FixityAlertsTable;
  review_cases: ReviewCasesTable;
  review_comments: ReviewCommentsTable;
  review_signatures: ReviewSignaturesTable;
  account_code_counters: AccountCodeCountersTable;
  issued_documents: IssuedDocumentsTable;
  object_page_stamps: ObjectPageStampsTable;
  page_reference_stamp: PageReferenceStampTable;
}

export type OrganizationRow = Selectable<OrganizationsTable>;
export type UserRow = Selectable<UsersTable>;
/** An event as the portal reads it back: the stored columns, not the generated search words. */
export type AuditEventRow = Omit<Selectable<AuditEventsTable>, 'details_tsv'>;
