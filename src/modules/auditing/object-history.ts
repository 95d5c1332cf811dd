/**
 * One object's history read from its audit events: what kind of step each event is (for the
 * timeline and its filter), and the object as it stood at a moment — stage, documents and their
 * verdicts, review, account code, open duties — folded from the events recorded up to then. Pure:
 * the events are given; nothing is recomputed from today's rows.
 */

export const TIMELINE_KINDS = ['registration', 'passport', 'lifecycle', 'documents', 'review', 'account_code', 'duties', 'other'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface HistoryEvent {
  id: string;
  occurredAt: Date;
  action: string;
  entityId: string;
  before: unknown;
  after: unknown;
}

export function timelineKind(action: string): TimelineKind {
  if (action === 'object.created') return 'registration';
  if (action === 'object.updated') return 'passport';
  if (action === 'object.lifecycle_moved') return 'lifecycle';
  if (action === 'object.account_code_assigned') return 'account_code';
  if (action === 'object.outdated_information_reported') return 'duties';
  if (action.startsWith('document.') || action.startsWith('document_file.')) return 'documents';
  if (action.startsWith('review_case.') || action.startsWith('issued_document.')) return 'review';
  return 'other';
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export interface FileAsOf {
  id: string;
  slot: string;
  name: string | null;
  sha256: string | null;
  status: string;
}

export interface DocumentAsOf {
  versionId: string;
  kind: string;
  version: number;
  uploadedAt: Date;
  files: FileAsOf[];
}

export interface DutyAsOf {
  id: string;
  source: string;
  changedOn: string | null;
  dueOn: string | null;
}

export interface ObjectAsOf {
  /** Whether the object existed at that moment. */
  registered: boolean;
  stage: string | null;
  step: string | null;
  passportVersion: number | null;
  reviewStatus: 'none' | 'submitted' | 'returned' | 'accepted';
  reviewCaseNumber: string | null;
  accountCode: string | null;
  issuedDocument: string | null;
  documents: DocumentAsOf[];
  openDuties: DutyAsOf[];
  /** The last event taken into account. */
  lastEventId: string | null;
}

/** The object at `at`, from its events in id order (those after `at` are ignored). */
export function objectAsOf(events: readonly HistoryEvent[], at: Date): ObjectAsOf {
  const state: ObjectAsOf = {
    registered: false,
    stage: null,
    step: null,
    passportVersion: null,
    reviewStatus: 'none',
    reviewCaseNumber: null,
    accountCode: null,
    issuedDocument: null,
    documents: [],
    openDuties: [],
    lastEventId: null,
  };
  const files = new Map<string, FileAsOf>();
  const duties = new Map<string, DutyAsOf>();
  const openDuty = (value: unknown) => {
    const duty = record(value);
    const id = text(duty.id);
    if (id) duties.set(id, { id, source: text(duty.source) ?? 'information_changed', changedOn: text(duty.changedOn), dueOn: text(duty.dueOn) });
  };
  for (const event of events) {
    if (event.occurredAt > at) break;
    const after = record(event.after);
    state.lastEventId = event.id;
    switch (event.action) {
      case 'object.created':
        state.registered = true;
        state.stage = text(after.stage);
        state.step = text(after.step);
        state.passportVersion = typeof after.version === 'number' ? after.version : 1;
        break;
      case 'object.updated':
        // The save's own duty (the information changed) is met by the save itself; it fulfils the open ones.
        if (typeof after.version === 'number') state.passportVersion = after.version;
        for (const fulfilled of Array.isArray(after.fulfilledDuties) ? after.fulfilledDuties : []) {
          const id = text(record(fulfilled).id);
          if (id) duties.delete(id);
        }
        break;
      case 'object.lifecycle_moved':
        state.stage = text(after.stage);
        state.step = text(after.step);
        openDuty(after.duty);
        break;
      case 'object.outdated_information_reported':
        openDuty(after.duty);
        break;
      case 'object.account_code_assigned':
        state.accountCode = text(after.accountCode);
        break;
      case 'document.uploaded': {
        const version: DocumentAsOf = { versionId: event.entityId, kind: text(after.kind) ?? 'other', version: typeof after.version === 'number' ? after.version : 1, uploadedAt: event.occurredAt, files: [] };
        for (const raw of Array.isArray(after.files) ? after.files : []) {
          const file = record(raw);
          const id = text(file.id);
          if (!id) continue;
          const entry: FileAsOf = { id, slot: text(file.slot) ?? '', name: text(file.name), sha256: text(file.sha256), status: text(file.status) ?? 'queued' };
          files.set(id, entry);
          version.files.push(entry);
        }
        state.documents.push(version);
        break;
      }
      case 'document_file.checked':
      case 'document_file.check_failed': {
        const file = files.get(event.entityId);
        const status = text(after.status);
        if (file && status) file.status = status;
        break;
      }
      case 'review_case.submitted':
        state.reviewStatus = 'submitted';
        state.reviewCaseNumber = text(after.number);
        break;
      case 'review_case.returned':
        state.reviewStatus = 'returned';
        break;
      case 'review_case.approved':
        state.reviewStatus = 'accepted';
        state.accountCode = text(after.accountCode) ?? state.accountCode;
        state.issuedDocument = text(after.issuedDocument);
        break;
      default:
        break;
    }
  }
  state.openDuties = [...duties.values()];
  return state;
}
