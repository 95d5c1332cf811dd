/**
 * The lifecycle of an e-government informatization object (004 §3.7; 003 §4.2) as a state
 * machine: the moves between stages and steps, what each move needs, and the facts derived from
 * the recorded moves (warranty, 004 §16.9; operation funding, 004 §18). Nothing here reads the
 * clock or the database: today's date, the accepted documents and the earlier moves are passed in.
 *
 * Stages (004 §3.7): creation → industrial operation ⇄ development → termination of industrial
 * operation. Creation and development go through the same steps, in the order of 004 §9:
 * development work (разработка), pilot operation, information-security testing, implementation
 * (внедрение, 004 §3.2), commissioning into industrial operation.
 *
 * Rules the seeds leave open, decided here:
 *   - Steps follow 004 §9 in order, one at a time, never backwards: a failed test is repeated
 *     within its step (004 §9.2 fixes defects inside pilot operation), not by moving back.
 *   - Termination (004 §19) is termination of *industrial operation*: allowed from industrial
 *     operation and from any step of a development (the object is in operation while it is being
 *     developed, 004 §3.1), refused during creation, when the object was never commissioned.
 *   - Several moves may happen on the same day; a move may not predate the one before it.
 *   - The warranty runs from the latest commissioning: a development ends with its own
 *     commissioning (004 §9.5), whose supplier owes the warranty of 004 §16.9 and §17.
 *   - Dates are 'YYYY-MM-DD' days as they happened in reality (Asia/Almaty).
 */
import { REQUIRED_DOCUMENTS_BY_STATE, type DocumentKind } from './document-kinds.ts';
import { requiredFieldsForStage, isObjectKind } from './passport.ts';

// ---------------------------------------------------------------------------------------------
// States

export const LIFECYCLE_STAGES = ['creation', 'industrial_operation', 'development', 'termination'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** The steps of creation and of development, in the order of 004 §9. */
export const LIFECYCLE_STEPS = ['development_work', 'pilot_operation', 'security_testing', 'implementation', 'commissioning'] as const;
export type LifecycleStep = (typeof LIFECYCLE_STEPS)[number];

export type SteppedStage = 'creation' | 'development';

export type LifecycleState =
  | { readonly stage: SteppedStage; readonly step: LifecycleStep }
  | { readonly stage: 'industrial_operation' | 'termination'; readonly step: null };

/** The state as the database stores it (stage and step columns, written only through the moves below). */
export function stateOf(row: { stage: string; step: string | null }): LifecycleState {
  return { stage: row.stage, step: row.step } as LifecycleState;
}

export type LifecycleStateKey = `${SteppedStage}/${LifecycleStep}` | 'industrial_operation' | 'termination';

export function stateKey(state: LifecycleState): LifecycleStateKey {
  return state.step === null ? state.stage : `${state.stage}/${state.step}`;
}

/** Every state, creation first, in lifecycle order. */
export const LIFECYCLE_STATES: ReadonlyArray<LifecycleState> = [
  ...LIFECYCLE_STEPS.map((step) => ({ stage: 'creation', step }) as const),
  { stage: 'industrial_operation', step: null },
  ...LIFECYCLE_STEPS.map((step) => ({ stage: 'development', step }) as const),
  { stage: 'termination', step: null },
];

/** An object is recorded from its creation on (003 §9, 004 §4: at every lifecycle stage). */
export const INITIAL_STATE: LifecycleState = { stage: 'creation', step: 'development_work' };

/** Termination is final (004 §19): the object and its passport become read-only. */
export function isReadOnly(state: LifecycleState): boolean {
  return state.stage === 'termination';
}

// ---------------------------------------------------------------------------------------------
// Moves

export const MOVE_IDS = [
  'complete_development_work',
  'complete_pilot_operation',
  'complete_security_testing',
  'complete_implementation',
  'commission',
  'start_development',
  'terminate',
] as const;
export type MoveId = (typeof MOVE_IDS)[number];

export function isMoveId(value: unknown): value is MoveId {
  return typeof value === 'string' && (MOVE_IDS as readonly string[]).includes(value);
}

export interface Transition {
  from: LifecycleState;
  to: LifecycleState;
}

export interface MoveDefinition {
  transitions: ReadonlyArray<Transition>;
  /** Documents that must be accepted in the current stage before the move is recorded. */
  requiredDocumentKinds: readonly DocumentKind[];
  clause: string;
}

function stepTransitions(from: LifecycleStep, to: LifecycleStep): Transition[] {
  return (['creation', 'development'] as const).map((stage) => ({ from: { stage, step: from }, to: { stage, step: to } }));
}

const OPERATION: LifecycleState = { stage: 'industrial_operation', step: null };
const TERMINATED: LifecycleState = { stage: 'termination', step: null };

export const MOVES: Readonly<Record<MoveId, MoveDefinition>> = {
  // Creation and development are carried out on the basis of a technical specification (004 §8;
  // for a development under trust management, one agreed with the authorized body, 004 §10).
  complete_development_work: {
    transitions: stepTransitions('development_work', 'pilot_operation'),
    requiredDocumentKinds: ['technical_specification'],
    clause: '004 §8, §9.1',
  },
  // Pilot operation ends with the act on its completion (004 §9.2).
  complete_pilot_operation: {
    transitions: stepTransitions('pilot_operation', 'security_testing'),
    requiredDocumentKinds: ['pilot_completion_act'],
    clause: '004 §9.2',
  },
  // Testing for compliance with information-security requirements (004 §9.3, Law art. 49); its
  // results are part of the object's record (003 Annex 1 item 2).
  complete_security_testing: {
    transitions: stepTransitions('security_testing', 'implementation'),
    requiredDocumentKinds: ['security_test_protocol'],
    clause: '004 §9.3; 003 Annex 1 item 2',
  },
  // Implementation: preliminary and acceptance tests to the standards in force (004 §3.2, §9.4);
  // the seeds name no document that closes it.
  complete_implementation: {
    transitions: stepTransitions('implementation', 'commissioning'),
    requiredDocumentKinds: [],
    clause: '004 §3.2, §9.4',
  },
  // Commissioning into industrial operation (004 §9.5, §15): only a tested object, with its act.
  commission: {
    transitions: [
      { from: { stage: 'creation', step: 'commissioning' }, to: OPERATION },
      { from: { stage: 'development', step: 'commissioning' }, to: OPERATION },
    ],
    requiredDocumentKinds: ['security_test_protocol', 'commissioning_act'],
    clause: '004 §9.3, §9.5, §15; 001 §5.2',
  },
  // Development only after commissioning (004 §10); its technical specification is demanded when
  // its development work ends, like creation's.
  start_development: {
    transitions: [{ from: OPERATION, to: { stage: 'development', step: 'development_work' } }],
    requiredDocumentKinds: [],
    clause: '004 §3.1, §10',
  },
  // No further need for the object ends its industrial operation (004 §19).
  terminate: {
    transitions: [OPERATION, ...LIFECYCLE_STEPS.map((step) => ({ stage: 'development', step }) as const)].map((from) => ({ from, to: TERMINATED })),
    requiredDocumentKinds: [],
    clause: '004 §3.1, §3.7, §19',
  },
};

function sameState(a: LifecycleState, b: LifecycleState): boolean {
  return a.stage === b.stage && a.step === b.step;
}

function transitionFrom(state: LifecycleState, move: MoveId): Transition | undefined {
  return MOVES[move].transitions.find((t) => sameState(t.from, state));
}

/** The moves defined from a state, in MOVE_IDS order, whatever their documents and dates. */
export function availableMoves(state: LifecycleState): MoveId[] {
  return MOVE_IDS.filter((move) => transitionFrom(state, move) !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Checking a move

export interface RecordedMove {
  move: MoveId;
  /** The day the move happened in reality, 'YYYY-MM-DD'. */
  occurredOn: string;
}

export interface MoveContext {
  /**
   * Kinds of the documents accepted in the current stage: for a development, only those placed
   * since it started — each development produces its own acts (004 §9).
   */
  acceptedDocumentKinds: ReadonlySet<string>;
  /** The day the move happened in reality, 'YYYY-MM-DD'. */
  occurredOn: string;
  /** Today in Asia/Almaty, 'YYYY-MM-DD'. */
  today: string;
  /** The object's moves recorded so far. */
  previousMoves: ReadonlyArray<RecordedMove>;
}

export type MoveRefusalCode =
  /** The object's operation was terminated (004 §19): nothing moves any more. */
  | 'object_terminated'
  /** Development (004 §10) or termination of industrial operation (004 §19) before commissioning. */
  | 'not_commissioned'
  /** The move does not start from the current state (a skipped step, a repeated commissioning, …). */
  | 'move_not_available'
  | 'document_missing'
  /** occurredOn is not a real 'YYYY-MM-DD' day. */
  | 'date_invalid'
  | 'date_in_future'
  | 'date_before_previous_move';

export interface MoveRefusal {
  code: MoveRefusalCode;
  /** For document_missing: the kind that is missing. */
  documentKind?: DocumentKind;
  /** For date_in_future: today; for date_before_previous_move: the previous move's day. */
  limit?: string;
}

export type MoveCheck = { ok: true; next: LifecycleState } | { ok: false; reasons: MoveRefusal[] };

/**
 * Whether `move` may be recorded now. A move that does not start from the state is refused for
 * that alone; otherwise every missing document and every date problem is reported at once.
 */
export function checkMove(state: LifecycleState, move: MoveId, context: MoveContext): MoveCheck {
  assertIsoDate(context.today, 'today');
  if (state.stage === 'termination') return { ok: false, reasons: [{ code: 'object_terminated' }] };
  const transition = transitionFrom(state, move);
  if (!transition) {
    const beforeCommissioning = state.stage === 'creation' && (move === 'start_development' || move === 'terminate');
    return { ok: false, reasons: [{ code: beforeCommissioning ? 'not_commissioned' : 'move_not_available' }] };
  }

  const reasons: MoveRefusal[] = MOVES[move].requiredDocumentKinds
    .filter((kind) => !context.acceptedDocumentKinds.has(kind))
    .map((documentKind) => ({ code: 'document_missing', documentKind }));

  if (!isIsoDate(context.occurredOn)) {
    reasons.push({ code: 'date_invalid' });
  } else {
    if (context.occurredOn > context.today) reasons.push({ code: 'date_in_future', limit: context.today });
    const previous = latestMoveDay(context.previousMoves);
    if (previous !== null && context.occurredOn < previous) reasons.push({ code: 'date_before_previous_move', limit: previous });
  }

  return reasons.length === 0 ? { ok: true, next: transition.to } : { ok: false, reasons };
}

function latestMoveDay(moves: ReadonlyArray<RecordedMove>): string | null {
  let latest: string | null = null;
  for (const { occurredOn } of moves) {
    assertIsoDate(occurredOn, 'a previous move');
    if (latest === null || occurredOn > latest) latest = occurredOn;
  }
  return latest;
}

// ---------------------------------------------------------------------------------------------
// Derived facts

/** The day of the latest commissioning into industrial operation, or null if there was none. */
export function lastCommissionedOn(moves: ReadonlyArray<RecordedMove>): string | null {
  let latest: string | null = null;
  for (const { move, occurredOn } of moves) {
    if (move === 'commission' && (latest === null || occurredOn > latest)) latest = occurredOn;
  }
  return latest;
}

/**
 * The last day of the warranty: "сроком 12 (двенадцать) месяцев со дня введения в промышленную
 * эксплуатацию" (004 §16.9). Counted as the Civil Code counts periods (art. 170–171): from the
 * day after commissioning to the same date twelve months later, or to the last day of that month
 * when it has no such date (2024-02-29 → 2025-02-28). Calendar months, not working days.
 */
export function warrantyEnd(commissionedOn: string): string {
  assertIsoDate(commissionedOn, 'commissionedOn');
  const [year, month, day] = commissionedOn.split('-').map(Number) as [number, number, number];
  const endYear = year + 1;
  const lastDayOfMonth = new Date(Date.UTC(endYear, month, 0)).getUTCDate();
  return `${String(endYear).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(day, lastDayOfMonth)).padStart(2, '0')}`;
}

export type FundingGap =
  | { type: 'field'; field: string }
  | { type: 'document'; documentKind: DocumentKind }
  /** A terminated object has no operation stage left to spend on (004 §19). */
  | { type: 'lifecycle'; code: 'operation_terminated' };

export interface FundingCheckInput {
  state: LifecycleState;
  /** The object's passport as stored, possibly incomplete. */
  passport: unknown;
  /** Kinds of all the object's accepted documents. */
  acceptedDocumentKinds: ReadonlySet<string>;
}

/**
 * 004 §18: operation-stage spending for the planned period is not supported while the object's
 * information and the electronic copies of its technical documentation are missing on the portal.
 * Lists exactly what is missing for the current stage: passport fields (requiredFieldsForStage)
 * and document kinds (REQUIRED_DOCUMENTS_BY_STATE).
 */
export function operationFundingCheck(input: FundingCheckInput): { supported: boolean; missing: FundingGap[] } {
  if (input.state.stage === 'termination') return { supported: false, missing: [{ type: 'lifecycle', code: 'operation_terminated' }] };
  const kind = isRecord(input.passport) && isObjectKind(input.passport.kind) ? input.passport.kind : null;
  const missing: FundingGap[] = [
    ...requiredFieldsForStage(kind, input.state.stage)
      .filter((field) => !hasValue(input.passport, field))
      .map((field) => ({ type: 'field', field }) as const),
    ...REQUIRED_DOCUMENTS_BY_STATE[stateKey(input.state)].required
      .filter((kind) => !input.acceptedDocumentKinds.has(kind))
      .map((documentKind) => ({ type: 'document', documentKind }) as const),
  ];
  return { supported: missing.length === 0, missing };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a dotted path leads to a value: not absent, not blank text, not an empty list. */
function hasValue(data: unknown, path: string): boolean {
  let value: unknown = data;
  for (const key of path.split('.')) {
    if (!isRecord(value)) return false;
    value = value[key];
  }
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Days

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar day written 'YYYY-MM-DD' (2025-02-29 is not one). */
export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function assertIsoDate(value: string, what: string): void {
  if (!isIsoDate(value)) throw new RangeError(`${what} is not a 'YYYY-MM-DD' day: ${value}`);
}
