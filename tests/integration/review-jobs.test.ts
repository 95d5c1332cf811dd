import { sql } from 'kysely';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureKnownCalendarYears, loadCalendarData } from '../../src/modules/calendar/calendar.service.ts';
import { addWorkingDays, type CalendarData, dueAt, isWorkingDay, toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { createJobQueue, PG_BOSS_SCHEMA } from '../../src/jobs/job-queue.ts';
import {
  REVIEW_DIGEST_CRON,
  REVIEW_DIGEST_QUEUE,
  REVIEW_REMINDER_CRON,
  REVIEW_REMINDER_QUEUE,
  sendDueReminders,
  sendOverdueDigest,
  startReviewJobs,
} from '../../src/modules/reviews/review-jobs.ts';
import { createOrganization, createUser, type TestUser } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const BASE_URL = 'https://portal.example.kz';

/** An Almaty wall-clock time (UTC+5 throughout 2026). */
function almaty(day: string, time = '10:00'): Date {
  return new Date(`${day}T${time}:00+05:00`);
}

let database: TestDatabase;
let calendar: CalendarData;
let organizationId: string;
let staff: TestUser;
let reviewerA: TestUser;
let reviewerB: TestUser;
let formerReviewer: TestUser;
let adminA: TestUser;
let adminB: TestUser;
let formerAdmin: TestUser;
let caseCounter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  calendar = await loadCalendarData(database.db);
  organizationId = await createOrganization(database.db);
  staff = await createUser(database.db, 'staff', { organizationId });
  reviewerA = await createUser(database.db, 'reviewer', { email: 'reviewer.a@test.example' });
  reviewerB = await createUser(database.db, 'reviewer', { email: 'reviewer.b@test.example' });
  formerReviewer = await createUser(database.db, 'reviewer', { email: 'reviewer.former@test.example' });
  adminA = await createUser(database.db, 'admin', { email: 'admin.a@test.example' });
  adminB = await createUser(database.db, 'admin', { email: 'admin.b@test.example' });
  formerAdmin = await createUser(database.db, 'admin', { email: 'admin.former@test.example' });
  await createUser(database.db, 'auditor', { email: 'auditor@test.example' });
  await database.db.updateTable('users').set({ status: 'deactivated' }).where('id', 'in', [formerReviewer.id, formerAdmin.id]).execute();
});

afterAll(async () => {
  await database?.destroy();
});

beforeEach(async () => {
  await database.db.deleteFrom('mail_outbox').execute();
  await database.db.deleteFrom('review_cases').execute();
});

interface CaseOptions {
  submittedAt: Date;
  name?: string;
  status?: 'open' | 'returned' | 'approved';
  takenBy?: string;
}

interface InsertedCase {
  id: string;
  number: string;
  dueAt: Date;
  nameKk: string;
  nameRu: string;
}

async function insertCase(options: CaseOptions): Promise<InsertedCase> {
  const serial = ++caseCounter;
  const name = options.name ?? `Жүйе ${serial}`;
  const nameKk = `${name} (kk)`;
  const nameRu = `${name} (ru)`;
  const passport = { kind: 'state_body_software', class: 2, name: { full: { kk: nameKk, ru: nameRu } }, purpose: { kk: 'Мақсаты', ru: 'Назначение' } };
  const object = await database.db
    .insertInto('objects')
    .values({
      organization_id: organizationId,
      passport: JSON.stringify(passport),
      kind: 'state_body_software',
      class: 2,
      name_kk: nameKk,
      name_ru: nameRu,
      purpose_kk: 'Мақсаты',
      purpose_ru: 'Назначение',
      stage: 'creation',
      step: 'development_work',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const due = dueAt(options.submittedAt, 5, calendar);
  const number = `RC-2026-${String(serial).padStart(6, '0')}`;
  const status = options.status ?? 'open';
  const decided = status !== 'open';
  const row = await database.db
    .insertInto('review_cases')
    .values({
      number,
      object_id: object.id,
      organization_id: organizationId,
      kind: 'registration',
      object_version: 1,
      snapshot: JSON.stringify({ version: 1, passport }),
      submitted_at: options.submittedAt,
      submitted_by: staff.id,
      due_at: due,
      status,
      taken_by: options.takenBy ?? (decided ? reviewerA.id : null),
      taken_at: options.takenBy || decided ? options.submittedAt : null,
      decided_at: decided ? due : null,
      decided_by: decided ? reviewerA.id : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, number, dueAt: due, nameKk, nameRu };
}

async function outbox() {
  return database.db.selectFrom('mail_outbox').select(['recipient', 'template', 'body_text', 'entity_type', 'entity_id']).orderBy('recipient').orderBy('created_at').execute();
}

async function auditOf(action: string, entityId: string) {
  return database.db.selectFrom('audit_events').selectAll().where('action', '=', action).where('entity_id', '=', entityId).orderBy(sql`id`).execute();
}

async function reminderSentAt(id: string): Promise<Date | null> {
  const row = await database.db.selectFrom('review_cases').select('reminder_sent_at').where('id', '=', id).executeTakeFirstOrThrow();
  return row.reminder_sent_at;
}

const activeReviewerEmails = () => [reviewerA.email, reviewerB.email].sort();

describe('the 2026 calendar the scenarios rely on', () => {
  it('has Nauryz 21–25 March and 1, 7, 11 May off', () => {
    for (const day of ['2026-03-21', '2026-03-22', '2026-03-23', '2026-03-24', '2026-03-25', '2026-05-01', '2026-05-07', '2026-05-09', '2026-05-10', '2026-05-11']) {
      expect(isWorkingDay(day, calendar), day).toBe(false);
    }
    for (const day of ['2026-03-20', '2026-03-26', '2026-04-10', '2026-04-13', '2026-05-06', '2026-05-08', '2026-05-12']) {
      expect(isWorkingDay(day, calendar), day).toBe(true);
    }
    expect(addWorkingDays('2026-03-20', 1, calendar)).toBe('2026-03-26');
    expect(addWorkingDays('2026-05-08', 1, calendar)).toBe('2026-05-12');
  });
});

describe('sendDueReminders', () => {
  it('reminds a case due on Monday on the Friday before, not on the weekend nor earlier', async () => {
    const item = await insertCase({ submittedAt: almaty('2026-04-06', '15:00') });
    expect(toAlmatyDate(item.dueAt)).toBe('2026-04-13');

    // Thursday: Monday is two working days away. Saturday and Sunday: not working days.
    for (const now of [almaty('2026-04-09', '09:00'), almaty('2026-04-11', '09:00'), almaty('2026-04-12', '09:00')]) {
      expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now })).toEqual({ cases: 0, messages: 0 });
    }
    // 00:30 on Saturday in Almaty is still Friday in UTC: Almaty's day counts.
    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: new Date('2026-04-10T19:30:00Z') })).toEqual({ cases: 0, messages: 0 });
    expect(await outbox()).toEqual([]);
    expect(await reminderSentAt(item.id)).toBeNull();

    const friday = almaty('2026-04-10', '09:00');
    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: friday })).toEqual({ cases: 1, messages: 2 });
    expect(await reminderSentAt(item.id)).toEqual(friday);
    const mail = await outbox();
    expect(mail.map((m) => m.recipient)).toEqual(activeReviewerEmails());
    for (const message of mail) {
      expect(message.template).toBe('review_due_reminder');
      expect(message.entity_type).toBe('review_case');
      expect(message.entity_id).toBe(item.id);
      expect(message.body_text).toContain(item.number);
      expect(message.body_text).toContain(item.nameKk);
      expect(message.body_text).toContain(item.nameRu);
      expect(message.body_text).toContain(`${BASE_URL}/review/cases/${item.id}`);
    }
  });

  it('reminds a case due the day after the Nauryz run on the last working day before it', async () => {
    const item = await insertCase({ submittedAt: almaty('2026-03-16', '11:00') });
    expect(toAlmatyDate(item.dueAt)).toBe('2026-03-26');

    // Thursday 19th: the next working day is Friday 20th, not the 26th.
    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty('2026-03-19', '09:00') })).toEqual({ cases: 0, messages: 0 });
    // The holiday run, weekend and weekdays alike: nothing is sent on a day that is not worked.
    for (const day of ['2026-03-21', '2026-03-22', '2026-03-23', '2026-03-24', '2026-03-25']) {
      expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty(day, '09:00') }), day).toEqual({ cases: 0, messages: 0 });
    }
    expect(await outbox()).toEqual([]);

    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty('2026-03-20', '09:00') })).toEqual({ cases: 1, messages: 2 });
    expect((await outbox()).map((m) => m.recipient)).toEqual(activeReviewerEmails());
  });

  it('follows the May holidays: due Friday 8th on Wednesday 6th, due Tuesday 12th on Friday 8th', async () => {
    const dueFriday = await insertCase({ submittedAt: almaty('2026-04-29', '16:00') });
    // Received on a Saturday: counting starts on Monday 4th.
    const dueTuesday = await insertCase({ submittedAt: almaty('2026-05-02', '12:00') });
    expect(toAlmatyDate(dueFriday.dueAt)).toBe('2026-05-08');
    expect(toAlmatyDate(dueTuesday.dueAt)).toBe('2026-05-12');

    // 7 May (Defender of the Fatherland Day) and 11 May (Victory Day moved off Saturday) are off.
    for (const day of ['2026-05-07', '2026-05-09', '2026-05-10', '2026-05-11']) {
      expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty(day, '09:00') }), day).toEqual({ cases: 0, messages: 0 });
    }
    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty('2026-05-06', '09:00') })).toEqual({ cases: 1, messages: 2 });
    expect(await reminderSentAt(dueFriday.id)).not.toBeNull();
    expect(await reminderSentAt(dueTuesday.id)).toBeNull();

    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty('2026-05-08', '09:00') })).toEqual({ cases: 1, messages: 2 });
    expect(await reminderSentAt(dueTuesday.id)).toEqual(almaty('2026-05-08', '09:00'));
    expect(await outbox()).toHaveLength(4);
  });

  it('goes to the reviewer who took the case only; to every active reviewer while nobody has', async () => {
    const taken = await insertCase({ submittedAt: almaty('2026-04-06', '10:00'), takenBy: reviewerB.id });
    const untaken = await insertCase({ submittedAt: almaty('2026-04-06', '11:00') });
    const takenByAdmin = await insertCase({ submittedAt: almaty('2026-04-06', '12:00'), takenBy: adminA.id });
    // Taken by someone who has left since: back to every active reviewer.
    const takenByFormer = await insertCase({ submittedAt: almaty('2026-04-06', '13:00'), takenBy: formerReviewer.id });

    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty('2026-04-10', '09:00') })).toEqual({ cases: 4, messages: 6 });
    const mail = await outbox();
    const to = (id: string) => mail.filter((m) => m.entity_id === id).map((m) => m.recipient).sort();
    expect(to(taken.id)).toEqual([reviewerB.email]);
    expect(to(untaken.id)).toEqual(activeReviewerEmails());
    expect(to(takenByAdmin.id)).toEqual([adminA.email]);
    expect(to(takenByFormer.id)).toEqual(activeReviewerEmails());
    // Never a deactivated account, an administrator who did not take it, an auditor or the submitter.
    const recipients = new Set(mail.map((m) => m.recipient));
    for (const email of [formerReviewer.email, formerAdmin.email, adminB.email, 'auditor@test.example', staff.email]) expect(recipients.has(email), email).toBe(false);

    const [event] = await auditOf('review_case.reminder_sent', taken.id);
    expect(event).toMatchObject({ actor_label: 'system:review-jobs', actor_user_id: null, entity_type: 'review_case', entity_id: taken.id });
    expect(event!.after).toMatchObject({ number: taken.number, to: 'taker', recipients: [reviewerB.id], dueAt: taken.dueAt.toISOString() });
    const [untakenEvent] = await auditOf('review_case.reminder_sent', untaken.id);
    expect(untakenEvent!.after).toMatchObject({ to: 'reviewers' });
    expect([...(untakenEvent!.after as { recipients: string[] }).recipients].sort()).toEqual([reviewerA.id, reviewerB.id].sort());
  });

  it('sends nothing the second time the same day', async () => {
    const item = await insertCase({ submittedAt: almaty('2026-04-06', '10:00') });
    const first = almaty('2026-04-10', '09:00');
    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: first })).toEqual({ cases: 1, messages: 2 });
    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty('2026-04-10', '09:05') })).toEqual({ cases: 0, messages: 0 });
    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty('2026-04-10', '17:00') })).toEqual({ cases: 0, messages: 0 });
    expect(await outbox()).toHaveLength(2);
    expect(await reminderSentAt(item.id)).toEqual(first);
    expect(await auditOf('review_case.reminder_sent', item.id)).toHaveLength(1);
  });

  it('reminds each case once when two runs race', async () => {
    const items = await Promise.all([10, 11, 12].map((hour) => insertCase({ submittedAt: almaty('2026-04-06', `${hour}:00`) })));
    const now = almaty('2026-04-10', '09:00');
    const results = await Promise.all([1, 2].map(() => sendDueReminders(database.db, { baseUrl: BASE_URL, now })));
    expect(results.reduce((sum, r) => sum + r.cases, 0)).toBe(3);
    expect(results.reduce((sum, r) => sum + r.messages, 0)).toBe(6);
    expect(await outbox()).toHaveLength(6);
    for (const item of items) expect(await auditOf('review_case.reminder_sent', item.id)).toHaveLength(1);
  });

  it('does not remind overdue, due-today or decided cases', async () => {
    const now = almaty('2026-04-10', '09:00');
    const overdue = await insertCase({ submittedAt: almaty('2026-04-01', '10:00') }); // due Wed 8 April
    const dueToday = await insertCase({ submittedAt: almaty('2026-04-03', '10:00') }); // due Fri 10 April
    const returned = await insertCase({ submittedAt: almaty('2026-04-06', '10:00'), status: 'returned' }); // due Mon 13
    const approved = await insertCase({ submittedAt: almaty('2026-04-06', '11:00'), status: 'approved' }); // due Mon 13
    const later = await insertCase({ submittedAt: almaty('2026-04-07', '10:00') }); // due Tue 14
    expect(toAlmatyDate(overdue.dueAt)).toBe('2026-04-08');
    expect(toAlmatyDate(dueToday.dueAt)).toBe('2026-04-10');
    expect(toAlmatyDate(later.dueAt)).toBe('2026-04-14');

    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now })).toEqual({ cases: 0, messages: 0 });
    expect(await outbox()).toEqual([]);
    for (const item of [overdue, dueToday, returned, approved, later]) {
      expect(await reminderSentAt(item.id)).toBeNull();
      expect(await auditOf('review_case.reminder_sent', item.id)).toEqual([]);
    }
  });

  it('keeps the case unreminded while there is no active reviewer to tell', async () => {
    const item = await insertCase({ submittedAt: almaty('2026-04-06', '10:00') });
    await database.db.updateTable('users').set({ status: 'deactivated' }).where('id', 'in', [reviewerA.id, reviewerB.id]).execute();
    try {
      expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty('2026-04-10', '09:00') })).toEqual({ cases: 0, messages: 0 });
      expect(await reminderSentAt(item.id)).toBeNull();
    } finally {
      await database.db.updateTable('users').set({ status: 'active' }).where('id', 'in', [reviewerA.id, reviewerB.id]).execute();
    }
    expect(await sendDueReminders(database.db, { baseUrl: BASE_URL, now: almaty('2026-04-10', '10:00') })).toEqual({ cases: 1, messages: 2 });
  });
});

describe('sendOverdueDigest', () => {
  it('sends each active administrator the overdue open cases, soonest due first, with working days overdue', async () => {
    const now = almaty('2026-03-27', '08:00'); // Friday after the Nauryz run
    // Inserted out of order: the digest sorts by due_at.
    const dueThursday26 = await insertCase({ submittedAt: almaty('2026-03-16', '10:00'), name: 'Үшінші' });
    const dueThursday19 = await insertCase({ submittedAt: almaty('2026-03-12', '10:00'), name: 'Бірінші' });
    const dueFriday20 = await insertCase({ submittedAt: almaty('2026-03-13', '10:00'), name: 'Екінші' });
    const dueToday = await insertCase({ submittedAt: almaty('2026-03-17', '10:00') });
    const returned = await insertCase({ submittedAt: almaty('2026-03-11', '10:00'), status: 'returned' });
    const approved = await insertCase({ submittedAt: almaty('2026-03-11', '11:00'), status: 'approved' });
    expect([dueThursday19, dueFriday20, dueThursday26, dueToday].map((c) => toAlmatyDate(c.dueAt))).toEqual(['2026-03-19', '2026-03-20', '2026-03-26', '2026-03-27']);

    expect(await sendOverdueDigest(database.db, { baseUrl: BASE_URL, now })).toEqual({ overdue: 3, messages: 2 });
    const mail = await outbox();
    expect(mail.map((m) => m.recipient)).toEqual([adminA.email, adminB.email]);
    // 19 → 27 March: 20, 26, 27 are worked (21–25 are not): 3; from the 20th: 2; from the 26th: 1.
    const lines = [
      `${dueThursday19.number} — ${dueThursday19.nameKk} / ${dueThursday19.nameRu} — due 2026-03-19 — 3`,
      `${dueFriday20.number} — ${dueFriday20.nameKk} / ${dueFriday20.nameRu} — due 2026-03-20 — 2`,
      `${dueThursday26.number} — ${dueThursday26.nameKk} / ${dueThursday26.nameRu} — due 2026-03-26 — 1`,
    ];
    for (const message of mail) {
      expect(message.template).toBe('review_overdue_digest');
      expect(message.entity_type).toBe('review_cases');
      expect(message.entity_id).toBe('2026-03-27');
      // Quoted, in the Kazakh and again in the Russian section.
      expect(message.body_text).toContain(lines.map((line) => `    ${line}`).join('\n'));
      expect(message.body_text.split(lines[0]!)).toHaveLength(3);
      expect(message.body_text).toContain('Тексеру мерзімі өткен істер саны: 3:');
      expect(message.body_text).toContain('Дел, у которых истёк срок проверки: 3:');
      expect(message.body_text).toContain(`${BASE_URL}/review/cases?filter=overdue`);
      for (const other of [dueToday, returned, approved]) expect(message.body_text).not.toContain(other.number);
    }

    const events = await auditOf('review_cases.overdue_digest_sent', '2026-03-27');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_label: 'system:review-jobs', entity_type: 'review_cases', entity_id: '2026-03-27' });
    expect(events[0]!.after).toEqual({ count: 3, cases: [dueThursday19.number, dueFriday20.number, dueThursday26.number], recipients: [adminA.id, adminB.id] });

    // Once a day: a second run (a retried job) sends nothing more.
    expect(await sendOverdueDigest(database.db, { baseUrl: BASE_URL, now: almaty('2026-03-27', '08:10') })).toEqual({ overdue: 3, messages: 0 });
    expect(await outbox()).toHaveLength(2);
    expect(await auditOf('review_cases.overdue_digest_sent', '2026-03-27')).toHaveLength(1);

    // The next working day counts one more, and the case due on the 27th has joined.
    expect(await sendOverdueDigest(database.db, { baseUrl: BASE_URL, now: almaty('2026-03-30', '08:00') })).toEqual({ overdue: 4, messages: 2 });
    const monday = (await outbox()).filter((m) => m.entity_id === '2026-03-30');
    expect(monday).toHaveLength(2);
    expect(monday[0]!.body_text).toContain(`${dueThursday19.number} — ${dueThursday19.nameKk} / ${dueThursday19.nameRu} — due 2026-03-19 — 4`);
    expect(monday[0]!.body_text).toContain(`${dueToday.number} — ${dueToday.nameKk} / ${dueToday.nameRu} — due 2026-03-27 — 1`);
  });

  it('sends nothing when no open case is overdue', async () => {
    const now = almaty('2026-04-15', '08:00');
    await insertCase({ submittedAt: almaty('2026-04-08', '10:00') }); // due today, 15 April
    await insertCase({ submittedAt: almaty('2026-04-01', '10:00'), status: 'returned' });
    await insertCase({ submittedAt: almaty('2026-04-01', '11:00'), status: 'approved' });
    expect(await sendOverdueDigest(database.db, { baseUrl: BASE_URL, now })).toEqual({ overdue: 0, messages: 0 });
    expect(await outbox()).toEqual([]);
    expect(await auditOf('review_cases.overdue_digest_sent', '2026-04-15')).toEqual([]);
  });

  it('counts a case as overdue from the first instant after its due day', async () => {
    const item = await insertCase({ submittedAt: almaty('2026-04-09', '10:00') }); // due Thu 16 April
    expect(toAlmatyDate(item.dueAt)).toBe('2026-04-16');
    expect(await sendOverdueDigest(database.db, { baseUrl: BASE_URL, now: almaty('2026-04-16', '23:59') })).toEqual({ overdue: 0, messages: 0 });
    expect(await sendOverdueDigest(database.db, { baseUrl: BASE_URL, now: almaty('2026-04-17', '00:01') })).toEqual({ overdue: 1, messages: 2 });
    const [message] = await outbox();
    expect(message!.body_text).toContain(`${item.number} — ${item.nameKk} / ${item.nameRu} — due 2026-04-16 — 1`);
  });
});

describe('startReviewJobs', () => {
  it('schedules both jobs daily in Almaty time and runs them from their queues', async () => {
    const logged: Array<{ object: object; message?: string }> = [];
    const log = { info: (object: object, message?: string) => logged.push({ object, message }), error: (object: object, message?: string) => logged.push({ object, message }) };
    const clock = () => almaty('2026-06-05', '09:00'); // a Friday
    const overdue = await insertCase({ submittedAt: almaty('2026-05-22', '10:00') }); // due Mon 1 June (27 May is Kurban Ait)
    const dueMonday = await insertCase({ submittedAt: almaty('2026-06-01', '10:00') }); // due Mon 8 June
    expect(toAlmatyDate(overdue.dueAt)).toBe('2026-06-01');
    expect(toAlmatyDate(dueMonday.dueAt)).toBe('2026-06-08');

    const jobs = createJobQueue({ connectionString: database.url, works: true, log: { ...log, warn: log.error } });
    await startReviewJobs({ jobs, db: database.db, baseUrl: BASE_URL, log, schedule: true, clock });
    const sender = new PgBoss({ connectionString: database.url, schema: PG_BOSS_SCHEMA, schedule: false, supervise: false });
    sender.on('error', () => undefined);
    try {
      const { rows } = await sql<{ name: string; cron: string; timezone: string }>`SELECT name, cron, timezone FROM pgboss.schedule ORDER BY name`.execute(database.db);
      expect(rows).toEqual([
        { name: REVIEW_REMINDER_QUEUE, cron: REVIEW_REMINDER_CRON, timezone: 'Asia/Almaty' },
        { name: REVIEW_DIGEST_QUEUE, cron: REVIEW_DIGEST_CRON, timezone: 'Asia/Almaty' },
      ].sort((a, b) => a.name.localeCompare(b.name)));
      expect(REVIEW_REMINDER_CRON).toBe('0 9 * * *');
      expect(REVIEW_DIGEST_CRON).toBe('0 8 * * *');

      await sender.start();
      await sender.send(REVIEW_REMINDER_QUEUE, {});
      await sender.send(REVIEW_DIGEST_QUEUE, {});
      const deadline = Date.now() + 30_000;
      for (;;) {
        const reminded = await auditOf('review_case.reminder_sent', dueMonday.id);
        const digests = await auditOf('review_cases.overdue_digest_sent', '2026-06-05');
        if (reminded.length === 1 && digests.length === 1) break;
        if (Date.now() > deadline) throw new Error('the review jobs did not run');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const mail = await outbox();
      expect(mail.filter((m) => m.template === 'review_due_reminder').map((m) => m.recipient)).toEqual(activeReviewerEmails());
      const digest = mail.filter((m) => m.template === 'review_overdue_digest');
      expect(digest.map((m) => m.recipient)).toEqual([adminA.email, adminB.email]);
      expect(digest[0]!.body_text).toContain(`${overdue.number} — ${overdue.nameKk} / ${overdue.nameRu} — due 2026-06-01 — 4`);
    } finally {
      await sender.stop({ graceful: false }).catch(() => undefined);
      await jobs.stop();
    }
    expect(logged.some((entry) => entry.message === 'review due reminders sent')).toBe(true);
  });
});
