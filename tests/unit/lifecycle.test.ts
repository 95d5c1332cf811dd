import { describe, expect, it } from 'vitest';
import {
  DOCUMENT_KIND_IDS,
  DOCUMENT_KINDS,
  REQUIRED_DOCUMENTS_BY_STATE,
  type DocumentKind,
} from '../../src/modules/objects/document-kinds.ts';
import {
  INITIAL_STATE,
  LIFECYCLE_STATES,
  MOVE_IDS,
  MOVES,
  availableMoves,
  checkMove,
  isIsoDate,
  isReadOnly,
  lastCommissionedOn,
  operationFundingCheck,
  stateKey,
  warrantyEnd,
  type LifecycleState,
  type LifecycleStateKey,
  type MoveContext,
  type MoveId,
  type RecordedMove,
} from '../../src/modules/objects/lifecycle.ts';
import type { ObjectPassport } from '../../src/modules/objects/passport.ts';

/** The state machine, written out by hand from 004 §3, §9, §10, §19: state → allowed move → next state. */
const EXPECTED_MOVES: Record<LifecycleStateKey, Partial<Record<MoveId, LifecycleStateKey>>> = {
  'creation/development_work': { complete_development_work: 'creation/pilot_operation' },
  'creation/pilot_operation': { complete_pilot_operation: 'creation/security_testing' },
  'creation/security_testing': { complete_security_testing: 'creation/implementation' },
  'creation/implementation': { complete_implementation: 'creation/commissioning' },
  'creation/commissioning': { commission: 'industrial_operation' },
  industrial_operation: { start_development: 'development/development_work', terminate: 'termination' },
  'development/development_work': { complete_development_work: 'development/pilot_operation', terminate: 'termination' },
  'development/pilot_operation': { complete_pilot_operation: 'development/security_testing', terminate: 'termination' },
  'development/security_testing': { complete_security_testing: 'development/implementation', terminate: 'termination' },
  'development/implementation': { complete_implementation: 'development/commissioning', terminate: 'termination' },
  'development/commissioning': { commission: 'industrial_operation', terminate: 'termination' },
  termination: {},
};

/** What each move needs, from 004 §8, §9.2, §9.3, §9.5. */
const EXPECTED_DOCUMENTS: Record<MoveId, DocumentKind[]> = {
  complete_development_work: ['technical_specification'],
  complete_pilot_operation: ['pilot_completion_act'],
  complete_security_testing: ['security_test_protocol'],
  complete_implementation: [],
  commission: ['security_test_protocol', 'commissioning_act'],
  start_development: [],
  terminate: [],
};

function expectedRefusal(state: LifecycleState, move: MoveId): string {
  if (state.stage === 'termination') return 'object_terminated';
  if (state.stage === 'creation' && (move === 'start_development' || move === 'terminate')) return 'not_commissioned';
  return 'move_not_available';
}

const ALL_DOCUMENTS: ReadonlySet<string> = new Set(DOCUMENT_KIND_IDS);

function context(overrides: Partial<MoveContext> = {}): MoveContext {
  return {
    acceptedDocumentKinds: ALL_DOCUMENTS,
    occurredOn: '2025-06-10',
    today: '2025-06-16',
    previousMoves: [{ move: 'complete_development_work', occurredOn: '2025-06-02' }],
    ...overrides,
  };
}

const without = (kind: string) => new Set([...ALL_DOCUMENTS].filter((k) => k !== kind));

const PAIRS = LIFECYCLE_STATES.flatMap((state) => MOVE_IDS.map((move) => ({ state, move, key: stateKey(state) })));

describe('the states', () => {
  it('are the 5 creation steps, industrial operation, the 5 development steps and termination, each once', () => {
    const keys = LIFECYCLE_STATES.map(stateKey);
    expect(keys).toEqual(Object.keys(EXPECTED_MOVES));
    expect(new Set(keys).size).toBe(12);
  });

  it('start at the development work of creation', () => {
    expect(INITIAL_STATE).toEqual({ stage: 'creation', step: 'development_work' });
  });

  it('are read-only only once terminated', () => {
    expect(LIFECYCLE_STATES.filter(isReadOnly).map(stateKey)).toEqual(['termination']);
  });
});

describe('availableMoves', () => {
  it.each(LIFECYCLE_STATES.map((state) => [stateKey(state), state] as const))('from %s', (key, state) => {
    expect(availableMoves(state)).toEqual(MOVE_IDS.filter((move) => move in EXPECTED_MOVES[key]));
  });
});

describe('checkMove: every (state, move) pair, with every document and valid dates', () => {
  it('covers 12 states × 7 moves', () => {
    expect(PAIRS).toHaveLength(84);
  });

  it.each(PAIRS.map((p) => [p.key, p.move, p] as const))('%s + %s', (key, move, { state }) => {
    const result = checkMove(state, move, context());
    const next = EXPECTED_MOVES[key][move];
    if (next !== undefined) {
      expect(result.ok).toBe(true);
      if (result.ok) expect(stateKey(result.next)).toBe(next);
    } else {
      expect(result).toEqual({ ok: false, reasons: [{ code: expectedRefusal(state, move) }] });
    }
  });

  it('allows exactly 17 of them', () => {
    const allowed = PAIRS.filter(({ state, move }) => checkMove(state, move, context()).ok).map(({ key, move }) => `${key} + ${move}`);
    const expected = Object.entries(EXPECTED_MOVES).flatMap(([key, moves]) => Object.keys(moves).map((move) => `${key} + ${move}`));
    expect(allowed.sort()).toEqual(expected.sort());
    expect(allowed).toHaveLength(17);
  });
});

describe('checkMove: documents', () => {
  it('each move needs what the seeds name', () => {
    for (const move of MOVE_IDS) expect(MOVES[move].requiredDocumentKinds).toEqual(EXPECTED_DOCUMENTS[move]);
  });

  const missingCases = PAIRS.filter(({ key, move }) => EXPECTED_MOVES[key][move] !== undefined).flatMap(({ state, move, key }) =>
    EXPECTED_DOCUMENTS[move].map((kind) => [key, move, kind, state] as const),
  );

  it.each(missingCases)('%s + %s is refused without %s, naming it', (_key, move, kind, state) => {
    expect(checkMove(state, move, context({ acceptedDocumentKinds: without(kind) }))).toEqual({
      ok: false,
      reasons: [{ code: 'document_missing', documentKind: kind }],
    });
  });

  it('lists every missing document, in the order the move names them', () => {
    const state: LifecycleState = { stage: 'development', step: 'commissioning' };
    expect(checkMove(state, 'commission', context({ acceptedDocumentKinds: new Set() }))).toEqual({
      ok: false,
      reasons: [
        { code: 'document_missing', documentKind: 'security_test_protocol' },
        { code: 'document_missing', documentKind: 'commissioning_act' },
      ],
    });
  });

  it('moves that need no document pass with none', () => {
    const none = context({ acceptedDocumentKinds: new Set() });
    expect(checkMove({ stage: 'creation', step: 'implementation' }, 'complete_implementation', none).ok).toBe(true);
    expect(checkMove({ stage: 'industrial_operation', step: null }, 'start_development', none).ok).toBe(true);
    expect(checkMove({ stage: 'industrial_operation', step: null }, 'terminate', none).ok).toBe(true);
  });

  it('does not look at documents when the move is not available from the state', () => {
    expect(checkMove({ stage: 'creation', step: 'pilot_operation' }, 'commission', context({ acceptedDocumentKinds: new Set() }))).toEqual({
      ok: false,
      reasons: [{ code: 'move_not_available' }],
    });
  });
});

describe('checkMove: dates', () => {
  const pilot: LifecycleState = { stage: 'creation', step: 'pilot_operation' };

  it('accepts a past day and today', () => {
    expect(checkMove(pilot, 'complete_pilot_operation', context({ occurredOn: '2025-06-03' })).ok).toBe(true);
    expect(checkMove(pilot, 'complete_pilot_operation', context({ occurredOn: '2025-06-16' })).ok).toBe(true);
  });

  it('refuses a day after today, naming today', () => {
    expect(checkMove(pilot, 'complete_pilot_operation', context({ occurredOn: '2025-06-17' }))).toEqual({
      ok: false,
      reasons: [{ code: 'date_in_future', limit: '2025-06-16' }],
    });
  });

  it('accepts the day of the previous move and refuses the day before it, naming the previous day', () => {
    expect(checkMove(pilot, 'complete_pilot_operation', context({ occurredOn: '2025-06-02' })).ok).toBe(true);
    expect(checkMove(pilot, 'complete_pilot_operation', context({ occurredOn: '2025-06-01' }))).toEqual({
      ok: false,
      reasons: [{ code: 'date_before_previous_move', limit: '2025-06-02' }],
    });
  });

  it('compares with the latest previous move, whatever order they are given in', () => {
    const previousMoves: RecordedMove[] = [
      { move: 'complete_development_work', occurredOn: '2025-06-05' },
      { move: 'commission', occurredOn: '2024-01-10' },
    ];
    expect(checkMove(pilot, 'complete_pilot_operation', context({ occurredOn: '2025-06-04', previousMoves }))).toEqual({
      ok: false,
      reasons: [{ code: 'date_before_previous_move', limit: '2025-06-05' }],
    });
  });

  it('accepts any past day for the first move', () => {
    expect(checkMove(INITIAL_STATE, 'complete_development_work', context({ occurredOn: '2001-01-01', previousMoves: [] })).ok).toBe(true);
  });

  it.each(['2025-02-29', '2025-13-01', '2025-04-31', '2025-6-1', '10.06.2025', '', '2025-06-10T00:00:00Z'])('refuses %j as not a day', (occurredOn) => {
    expect(checkMove(pilot, 'complete_pilot_operation', context({ occurredOn }))).toEqual({ ok: false, reasons: [{ code: 'date_invalid' }] });
  });

  it('accepts 29 February of a leap year', () => {
    const previousMoves: RecordedMove[] = [{ move: 'complete_development_work', occurredOn: '2024-02-01' }];
    expect(checkMove(pilot, 'complete_pilot_operation', context({ occurredOn: '2024-02-29', previousMoves })).ok).toBe(true);
  });

  it('reports missing documents and date problems together', () => {
    const result = checkMove(pilot, 'complete_pilot_operation', context({ acceptedDocumentKinds: new Set(), occurredOn: '2025-06-20' }));
    expect(result).toEqual({
      ok: false,
      reasons: [
        { code: 'document_missing', documentKind: 'pilot_completion_act' },
        { code: 'date_in_future', limit: '2025-06-16' },
      ],
    });
  });

  it('reports a day both in the future and before the previous move as both', () => {
    const previousMoves: RecordedMove[] = [{ move: 'complete_development_work', occurredOn: '2025-07-01' }];
    expect(checkMove(pilot, 'complete_pilot_operation', context({ occurredOn: '2025-06-20', previousMoves }))).toEqual({
      ok: false,
      reasons: [
        { code: 'date_in_future', limit: '2025-06-16' },
        { code: 'date_before_previous_move', limit: '2025-07-01' },
      ],
    });
  });

  it('throws on a bad today or a bad stored date: those are programming errors, not user input', () => {
    expect(() => checkMove(pilot, 'complete_pilot_operation', context({ today: '2025-02-30' }))).toThrow(RangeError);
    expect(() =>
      checkMove(pilot, 'complete_pilot_operation', context({ previousMoves: [{ move: 'complete_development_work', occurredOn: 'yesterday' }] })),
    ).toThrow(RangeError);
  });
});

describe('termination is final', () => {
  const terminated: LifecycleState = { stage: 'termination', step: null };

  it.each(MOVE_IDS)('%s is refused only because the object is terminated, whatever the documents and dates', (move) => {
    const bad = context({ acceptedDocumentKinds: new Set(), occurredOn: 'not a day' });
    expect(checkMove(terminated, move, bad)).toEqual({ ok: false, reasons: [{ code: 'object_terminated' }] });
  });

  it('has no available moves', () => {
    expect(availableMoves(terminated)).toEqual([]);
  });
});

describe('a whole lifecycle, replayed move by move', () => {
  const history: Array<[MoveId, string, LifecycleStateKey]> = [
    ['complete_development_work', '2023-03-01', 'creation/pilot_operation'],
    ['complete_pilot_operation', '2023-09-29', 'creation/security_testing'],
    ['complete_security_testing', '2023-11-15', 'creation/implementation'],
    ['complete_implementation', '2024-01-31', 'creation/commissioning'],
    ['commission', '2024-02-29', 'industrial_operation'],
    ['start_development', '2025-01-20', 'development/development_work'],
    ['complete_development_work', '2025-04-01', 'development/pilot_operation'],
    ['complete_pilot_operation', '2025-05-30', 'development/security_testing'],
    ['complete_security_testing', '2025-06-30', 'development/implementation'],
    ['complete_implementation', '2025-07-31', 'development/commissioning'],
    ['commission', '2025-08-31', 'industrial_operation'],
    ['terminate', '2026-03-02', 'termination'],
  ];

  it('reaches each state, and the warranty follows the latest commissioning', () => {
    let state = INITIAL_STATE;
    const moves: RecordedMove[] = [];
    for (const [move, occurredOn, expected] of history) {
      const result = checkMove(state, move, { acceptedDocumentKinds: ALL_DOCUMENTS, occurredOn, today: '2026-03-02', previousMoves: moves });
      expect(result.ok, `${move} on ${occurredOn}`).toBe(true);
      if (!result.ok) return;
      state = result.next;
      moves.push({ move, occurredOn });
      expect(stateKey(state)).toBe(expected);
      if (occurredOn === '2024-02-29') expect(warrantyEnd(lastCommissionedOn(moves) ?? '')).toBe('2025-02-28');
    }
    expect(lastCommissionedOn(moves)).toBe('2025-08-31');
    expect(warrantyEnd('2025-08-31')).toBe('2026-08-31');
    expect(isReadOnly(state)).toBe(true);
  });
});

describe('warrantyEnd (004 §16.9: 12 months from the day of commissioning)', () => {
  it.each([
    ['2024-03-15', '2025-03-15'],
    ['2024-02-29', '2025-02-28'],
    ['2023-02-28', '2024-02-28'],
    ['2023-03-01', '2024-03-01'],
    ['2024-01-31', '2025-01-31'],
    ['2023-03-31', '2024-03-31'],
    ['2024-12-31', '2025-12-31'],
    ['2025-01-01', '2026-01-01'],
  ])('commissioned on %s: warranty ends on %s', (commissionedOn, end) => {
    expect(warrantyEnd(commissionedOn)).toBe(end);
  });

  it.each(['2025-02-29', '2024-02-30', '2024-2-1', ''])('refuses %j, which is not a day', (commissionedOn) => {
    expect(() => warrantyEnd(commissionedOn)).toThrow(RangeError);
  });

  it('lastCommissionedOn is null before any commissioning', () => {
    expect(lastCommissionedOn([{ move: 'complete_development_work', occurredOn: '2025-01-01' }])).toBeNull();
  });
});

describe('isIsoDate', () => {
  it('knows leap years', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2000-02-29')).toBe(true);
    expect(isIsoDate('1900-02-29')).toBe(false);
    expect(isIsoDate('2025-02-29')).toBe(false);
  });
});

describe('the document catalogue', () => {
  it('lists each kind once, with names in the three languages and its clause', () => {
    expect(DOCUMENT_KINDS.map((k) => k.id)).toEqual([...DOCUMENT_KIND_IDS]);
    for (const entry of DOCUMENT_KINDS) {
      for (const text of [entry.name.kk, entry.name.ru, entry.name.en, entry.clause]) expect(text.trim()).not.toBe('');
    }
  });

  it('states what each state needs', () => {
    const ts = 'technical_specification';
    const security = ['security_test_protocol', 'security_documentation'];
    const operation = [ts, 'pilot_completion_act', ...security, 'commissioning_act', 'user_manual', 'admin_manual'];
    const required = Object.fromEntries(Object.entries(REQUIRED_DOCUMENTS_BY_STATE).map(([key, value]) => [key, value.required]));
    expect(required).toEqual({
      'creation/development_work': [ts],
      'creation/pilot_operation': [ts],
      'creation/security_testing': [ts, 'pilot_completion_act'],
      'creation/implementation': [ts, 'pilot_completion_act', ...security],
      'creation/commissioning': [ts, 'pilot_completion_act', ...security],
      industrial_operation: operation,
      'development/development_work': operation,
      'development/pilot_operation': operation,
      'development/security_testing': operation,
      'development/implementation': operation,
      'development/commissioning': operation,
      termination: [],
    });
  });

  it('a state requires at least what the move into it needed', () => {
    for (const move of MOVE_IDS) {
      for (const { to } of MOVES[move].transitions) {
        expect(REQUIRED_DOCUMENTS_BY_STATE[stateKey(to)].required, `${move} → ${stateKey(to)}`).toEqual(
          expect.arrayContaining(to.stage === 'termination' ? [] : [...MOVES[move].requiredDocumentKinds]),
        );
      }
    }
  });
});

describe('operationFundingCheck (004 §18)', () => {
  const complete: ObjectPassport = {
    kind: 'state_body_software',
    class: 2,
    name: { full: { kk: 'Жүйе', ru: 'Система' } },
    purpose: { kk: 'Мақсаты', ru: 'Назначение' },
    owner_organization_id: '7d3e4a0c-52a1-4f0e-9a51-3c1b9e0f2a11',
    placement: { type: 'egov_ict_platform' },
    funding: 'state_investment_project',
    contacts: [{ full_name: 'Ахметов Арман', position: 'Главный эксперт', phone: '+77011234567', email: 'a.akhmetov@example.kz' }],
    users: { registered: 1200, active: 800 },
    usage: { state_bodies: 3, sites: 20 },
    automated_functions: [{ type: 'e_service', name: 'Выдача справки' }],
    source_code: { transferred: true, transferred_on: '2024-03-01' },
  };
  const operation: LifecycleState = { stage: 'industrial_operation', step: null };

  it('supports spending when every field and document of the stage is there', () => {
    expect(operationFundingCheck({ state: operation, passport: complete, acceptedDocumentKinds: ALL_DOCUMENTS })).toEqual({
      supported: true,
      missing: [],
    });
  });

  it('lists exactly the missing fields and documents', () => {
    const { users: _users, ...withoutUsers } = complete;
    const passport = { ...withoutUsers, automated_functions: [], purpose: { kk: ' ', ru: 'Назначение' } };
    const documents = new Set(['technical_specification', 'pilot_completion_act', 'security_test_protocol', 'commissioning_act', 'user_manual']);
    expect(operationFundingCheck({ state: operation, passport, acceptedDocumentKinds: documents })).toEqual({
      supported: false,
      missing: [
        { type: 'field', field: 'purpose.kk' },
        { type: 'field', field: 'users.registered' },
        { type: 'field', field: 'users.active' },
        { type: 'field', field: 'automated_functions' },
        { type: 'document', documentKind: 'security_documentation' },
        { type: 'document', documentKind: 'admin_manual' },
      ],
    });
  });

  it('asks for the sub-kind of an ICT-infrastructure object', () => {
    const passport = { ...complete, kind: 'ict_infrastructure' };
    expect(operationFundingCheck({ state: operation, passport, acceptedDocumentKinds: ALL_DOCUMENTS }).missing).toEqual([
      { type: 'field', field: 'infrastructure_subkind' },
    ]);
  });

  it('uses the current stage: in creation only the creation fields and documents', () => {
    const { users: _u, usage: _s, automated_functions: _f, source_code: _c, ...creationPassport } = complete;
    const state: LifecycleState = { stage: 'creation', step: 'security_testing' };
    expect(operationFundingCheck({ state, passport: creationPassport, acceptedDocumentKinds: new Set(['technical_specification']) })).toEqual({
      supported: false,
      missing: [{ type: 'document', documentKind: 'pilot_completion_act' }],
    });
  });

  it('during a development asks what operation asks', () => {
    const state: LifecycleState = { stage: 'development', step: 'pilot_operation' };
    expect(operationFundingCheck({ state, passport: complete, acceptedDocumentKinds: ALL_DOCUMENTS }).supported).toBe(true);
    expect(operationFundingCheck({ state, passport: complete, acceptedDocumentKinds: without('user_manual') }).missing).toEqual([
      { type: 'document', documentKind: 'user_manual' },
    ]);
  });

  it('refuses a terminated object for that reason alone', () => {
    expect(operationFundingCheck({ state: { stage: 'termination', step: null }, passport: complete, acceptedDocumentKinds: ALL_DOCUMENTS })).toEqual({
      supported: false,
      missing: [{ type: 'lifecycle', code: 'operation_terminated' }],
    });
  });

  it('treats a passport that is not an object as having no fields', () => {
    const result = operationFundingCheck({ state: INITIAL_STATE, passport: null, acceptedDocumentKinds: ALL_DOCUMENTS });
    expect(result.supported).toBe(false);
    expect(result.missing.map((gap) => (gap.type === 'field' ? gap.field : gap.type))).toEqual([
      'kind',
      'class',
      'name.full.kk',
      'name.full.ru',
      'purpose.kk',
      'purpose.ru',
      'owner_organization_id',
      'placement.type',
      'funding',
      'contacts',
    ]);
  });
});
