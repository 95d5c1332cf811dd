import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { PgBoss } from 'pg-boss';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import app from '../../src/app.ts';
import { AppError } from '../../src/errors.ts';
import type { AuthUser } from '../../src/access/permissions.ts';
import { createAppDependencies } from '../../src/deps.ts';
import type { MailTemplateName, MailTemplateParams } from '../../src/modules/notifications/mail-templates.ts';
import {
  createSmtpTransport,
  DEFAULT_MAIL_RETRY,
  ensureMailQueue,
  MAIL_QUEUE,
  type MailLogger,
  queuePendingMail,
  sendOutboxMessage,
  startMailWorker,
} from '../../src/modules/notifications/mail-worker.ts';
import { createJobQueue, PG_BOSS_SCHEMA } from '../../src/jobs/job-queue.ts';
import notificationsWeb from '../../src/modules/notifications/notifications.web.ts';
import { enqueueMail, getOutboxMessage, listOutbox } from '../../src/modules/notifications/outbox.service.ts';
import { buildServerOptions } from '../../src/server-options.ts';
import { testConfig } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const FROM = 'Architecture portal <no-reply@portal.localhost>';

// ---- a local SMTP server that refuses some recipients on purpose ----

interface Received {
  to: string[];
  raw: string;
}

let smtp: SMTPServer;
let smtpUrl: string;
const received: Received[] = [];

function startSmtpServer(): Promise<void> {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const refusal = address.address.startsWith('busy.') ? 451 : address.address.startsWith('nobody.') ? 550 : null;
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal === 451 ? 'Mailbox busy, try later' : 'No such mailbox'), { responseCode: refusal }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  return new Promise((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(0, '127.0.0.1', () => {
      smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
      resolve();
    });
  });
}

function receivedBy(address: string): Received[] {
  return received.filter((message) => message.to.includes(address));
}

// ---- just enough MIME decoding to read what nodemailer sent ----

function decodeQuotedPrintable(text: string): string {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i += 1) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeHeaderValue(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?[^?]+\?([BQ])\?([^?]*)\?=/gi, (_match, encoding: string, data: string) =>
      encoding.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replaceAll('_', ' ')),
    );
}

function splitEntity(entity: string): { headers: Map<string, string>; body: string } {
  const at = entity.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of entity.slice(0, at).replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: entity.slice(at + 4) };
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

function parseMail(raw: string): { headers: Map<string, string>; text: string; html: string } {
  const { headers, body } = splitEntity(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1];
  if (!boundary) throw new Error('expected a multipart message');
  const parts = body.split(`--${boundary}`).slice(1, -1).map((part) => splitEntity(part.replace(/^\r\n/, '')));
  const find = (type: string) => {
    const part = parts.find((p) => (p.headers.get('content-type') ?? '').startsWith(type));
    if (!part) throw new Error(`no ${type} part`);
    return decodeBody(part.headers, part.body.replace(/\r\n$/, ''));
  };
  return { headers, text: find('text/plain').replaceAll('\r\n', '\n'), html: find('text/html').replaceAll('\r\n', '\n') };
}

// ---- helpers ----

let database: TestDatabase;

function address(prefix = 'person'): string {
  return `${prefix}.${randomBytes(4).toString('hex')}@test.example`;
}

async function enqueue<N extends MailTemplateName>(to: string, template: N, params: MailTemplateParams<N>): Promise<string> {
  return database.db.transaction().execute((trx) => enqueueMail(trx, { to, template, params, entity: { type: 'user', id: 'u-1' } }));
}

const enqueueActivated = (to: string) => enqueue(to, 'account_activated', { fullName: 'Тестов Тест' });

async function outboxRow(id: string) {
  return database.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function capturingLog(): MailLogger & { lines: string[] } {
  const lines: string[] = [];
  const write = (_object: object, message?: string) => void lines.push(message ?? '');
  return { lines, info: write, warn: write, error: write };
}

function actor(role: AuthUser['role']): AuthUser {
  return { id: randomUUID(), email: `${role}@test.example`, role, organizationId: null, fullName: role };
}

async function mailWorkerConnections(): Promise<number> {
  const { rows } = await sql<{ count: number }>`
    SELECT count(*)::int AS count FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'architecture-portal-jobs'`.execute(database.db);
  return rows[0]!.count;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await startSmtpServer();
});
afterAll(async () => {
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await database?.destroy();
});

describe('the outbox', () => {
  it('holds nothing of a transaction that rolled back', async () => {
    const to = address();
    await expect(
      database.db.transaction().execute(async (trx) => {
        await enqueueMail(trx, { to, template: 'account_activated', params: { fullName: 'Тестов Тест' } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await database.db.selectFrom('mail_outbox').select('id').where('recipient', '=', to).execute()).toEqual([]);
  });

  it('keeps a committed message rendered in both languages, its HTML escaped', async () => {
    const to = address();
    const id = await enqueue(to, 'account_request_rejected', { fullName: 'Тестов <Тест>', requestNumber: 'AR-2026-000007', reason: 'ИИН <b>не совпадает</b> & "проверьте"' });
    const row = await outboxRow(id);
    expect(row).toMatchObject({ recipient: to, template: 'account_request_rejected', status: 'pending', attempts: 0, sent_at: null, entity_type: 'user', entity_id: 'u-1' });
    expect(row.subject).toBe('№ AR-2026-000007 өтінім бойынша есептік жазба берілмеді / Учетная запись по заявке № AR-2026-000007 не предоставлена');
    expect(row.body_text).toContain('Қазақ тілінде');
    expect(row.body_text.indexOf('На русском языке')).toBeGreaterThan(row.body_text.indexOf('Қазақ тілінде'));
    expect(row.body_text).toContain('ИИН <b>не совпадает</b> & "проверьте"');
    expect(row.body_html).toContain('ИИН &lt;b&gt;не совпадает&lt;/b&gt; &amp; &quot;проверьте&quot;');
    expect(row.body_html).toContain('Тестов &lt;Тест&gt;');
    expect(row.body_html).not.toContain('<b>');
  });

  it('refuses a recipient that is not one plain address', async () => {
    for (const to of ['a@b.kz, c@d.kz', 'a@b.kz\r\nBcc: c@d.kz', 'no-at-sign']) {
      await expect(database.db.transaction().execute((trx) => enqueueMail(trx, { to, template: 'account_activated', params: { fullName: 'А' } }))).rejects.toThrow(/single e-mail address/);
    }
  });
});

describe('sending one message', () => {
  it('delivers it over SMTP in both languages, marks it sent, and never sends it again', async () => {
    const to = address();
    const link = 'http://localhost:3000/password/reset/AbC-123_xyz';
    const id = await enqueue(to, 'password_reset', { fullName: 'Тестов Тест', link, expiresAt: new Date('2026-11-24T13:00:00Z') });
    const transport = createSmtpTransport(smtpUrl);

    expect(await sendOutboxMessage(database.db, transport, id, { from: FROM, finalAttempt: false })).toEqual({ outcome: 'sent' });
    const row = await outboxRow(id);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
    expect(row.sent_at).toBeInstanceOf(Date);

    const [message, ...more] = receivedBy(to);
    expect(more).toEqual([]);
    const mail = parseMail(message!.raw);
    expect(decodeHeaderValue(mail.headers.get('subject')!)).toBe('Құпиясөзді қалпына келтіру / Восстановление пароля');
    expect(decodeHeaderValue(mail.headers.get('from')!)).toBe(FROM);
    expect(mail.headers.get('to')).toBe(to);
    expect(mail.headers.get('message-id')).toBe(`<${id}@portal.localhost>`);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.text).toBe(row.body_text);
    expect(mail.text).toContain('Жаңа құпиясөз орнату үшін сілтемені ашыңыз');
    expect(mail.text).toContain('Чтобы задать новый пароль, откройте ссылку');
    expect(mail.text).toContain('18:00');
    expect(mail.html).toContain(`<a href="${link}">`);

    expect(await sendOutboxMessage(database.db, transport, id, { from: FROM, finalAttempt: false })).toEqual({ outcome: 'skipped' });
    expect(receivedBy(to)).toHaveLength(1);
    expect(await outboxRow(id)).toMatchObject({ status: 'sent', attempts: 1 });
    transport.close();
  });

  it('records a failed attempt, keeps the message for a retry, and marks it failed after the last one', async () => {
    const to = address('busy');
    const id = await enqueueActivated(to);
    const transport = createSmtpTransport(smtpUrl);

    const first = await sendOutboxMessage(database.db, transport, id, { from: FROM, finalAttempt: false });
    expect(first).toMatchObject({ outcome: 'retry', error: expect.stringContaining('451') });
    expect(await outboxRow(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('Mailbox busy') });

    const last = await sendOutboxMessage(database.db, transport, id, { from: FROM, finalAttempt: true });
    expect(last).toMatchObject({ outcome: 'failed' });
    expect(await outboxRow(id)).toMatchObject({ status: 'failed', attempts: 2, sent_at: null, last_error: expect.stringContaining('451') });

    expect(await sendOutboxMessage(database.db, transport, id, { from: FROM, finalAttempt: false })).toEqual({ outcome: 'skipped' });
    expect(receivedBy(to)).toEqual([]);
    transport.close();
  });

  it('marks a message failed at once when the server refuses the recipient for good', async () => {
    const id = await enqueueActivated(address('nobody'));
    const transport = createSmtpTransport(smtpUrl);
    expect(await sendOutboxMessage(database.db, transport, id, { from: FROM, finalAttempt: false })).toMatchObject({ outcome: 'failed', error: expect.stringContaining('550') });
    expect(await outboxRow(id)).toMatchObject({ status: 'failed', attempts: 1 });
    transport.close();
  });

  it('sends a message once when two senders race for it', async () => {
    const to = address();
    const id = await enqueueActivated(to);
    const transport = createSmtpTransport(smtpUrl);
    const results = await Promise.all([1, 2].map(() => sendOutboxMessage(database.db, transport, id, { from: FROM, finalAttempt: false })));
    expect(results.map((r) => r.outcome).sort()).toEqual(['sent', 'skipped']);
    expect(receivedBy(to)).toHaveLength(1);
    transport.close();
  });

  it('records an unreachable server as a failed attempt', async () => {
    const id = await enqueueActivated(address());
    const transport = createSmtpTransport('smtp://127.0.0.1:1');
    expect(await sendOutboxMessage(database.db, transport, id, { from: FROM, finalAttempt: false })).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/ECONNREFUSED/) });
    expect(await outboxRow(id)).toMatchObject({ status: 'pending', attempts: 1 });
    transport.close();
  });
});

describe('the mail worker', () => {
  it('without SMTP sends nothing and starts nothing: mail stays pending for administrators', async () => {
    const log = capturingLog();
    const jobs = createJobQueue({ connectionString: database.url, works: true, log });
    const worker = await startMailWorker({ jobs, db: database.db, smtpUrl: undefined, from: FROM, log, sweepIntervalMs: 100 });
    const to = address();
    const id = await enqueueActivated(to);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await mailWorkerConnections()).toBe(0);
    await worker.stop();
    await jobs.stop();
    expect(await outboxRow(id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(receivedBy(to)).toEqual([]);
    expect(log.lines.join('\n')).toMatch(/SMTP_URL is not set/);
  });

  it('sends what was committed before and after it started, retries failures, and stops cleanly', async () => {
    const before = address();
    const beforeId = await enqueueActivated(before);
    const log = capturingLog();
    const jobs = createJobQueue({ connectionString: database.url, works: true, log, pollingIntervalSeconds: 0.5 });
    const worker = await startMailWorker({
      jobs,
      db: database.db,
      smtpUrl,
      from: FROM,
      log,
      sweepIntervalMs: 200,
      retry: { retryLimit: 1, retryDelaySeconds: 0, retryBackoff: false },
    });
    try {
      const after = address();
      const afterId = await enqueueActivated(after);
      const busyId = await enqueueActivated(address('busy'));
      await waitFor('both messages to arrive', () => receivedBy(before).length === 1 && receivedBy(after).length === 1);
      await waitFor('the refused message to be given up', async () => (await outboxRow(busyId)).status === 'failed');
      expect(await outboxRow(beforeId)).toMatchObject({ status: 'sent', attempts: 1 });
      expect(await outboxRow(afterId)).toMatchObject({ status: 'sent', attempts: 1 });
      // The first attempt and one retry (retryLimit 1), each recorded.
      expect(await outboxRow(busyId)).toMatchObject({ attempts: 2, last_error: expect.stringContaining('451') });
    } finally {
      await jobs.stop();
      await worker.stop();
    }
    expect(await mailWorkerConnections()).toBe(0);
    // Nothing was sent twice, and the sweeps kept finding the sent rows no more.
    expect(receivedBy(before)).toHaveLength(1);
  });
});

describe('queueing pending mail', () => {
  it('queues one job per pending message, however often it runs', async () => {
    const id = await enqueueActivated(address());
    const boss = new PgBoss({ connectionString: database.url, schema: PG_BOSS_SCHEMA, schedule: false, supervise: false });
    boss.on('error', () => undefined);
    const jobs = createJobQueue({ connectionString: database.url, works: true, log: capturingLog() });
    try {
      await ensureMailQueue(jobs, DEFAULT_MAIL_RETRY);
      expect(await queuePendingMail(database.db, jobs)).toBeGreaterThanOrEqual(1);
      expect(await queuePendingMail(database.db, jobs)).toBe(0);
      await boss.start();
      const found = await boss.findJobs<{ outboxId: string }>(MAIL_QUEUE, { key: id });
      expect(found.map((job) => job.data)).toEqual([{ outboxId: id }]);
    } finally {
      await boss.stop({ graceful: false });
      await jobs.stop();
    }
  });
});

describe('reading the outbox', () => {
  it('is for administrators only', async () => {
    for (const role of ['staff', 'reviewer', 'auditor', 'authorized_officer'] as const) {
      await expect(listOutbox(database.db, actor(role), { limit: 10 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(getOutboxMessage(database.db, actor(role), randomUUID())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(listOutbox(database.db, null, { limit: 10 })).rejects.toBeInstanceOf(AppError);
    await expect(listOutbox(database.db, null, { limit: 10 })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('lists newest first, filters by status and recipient, and pages with a cursor', async () => {
    const admin = actor('admin');
    const domain = `${randomBytes(4).toString('hex')}.example`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push(await enqueueActivated(`reader${i}@${domain}`));

    const first = await listOutbox(database.db, admin, { recipient: domain.toUpperCase(), limit: 2 });
    expect(first.messages.map((m) => m.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextBefore).toBe(ids[1]);
    const second = await listOutbox(database.db, admin, { recipient: domain, limit: 2, before: first.nextBefore! });
    expect(second.messages.map((m) => m.id)).toEqual([ids[0]]);
    expect(second.nextBefore).toBeNull();

    expect((await listOutbox(database.db, admin, { recipient: domain, status: 'sent', limit: 10 })).messages).toEqual([]);
    expect((await listOutbox(database.db, admin, { recipient: domain, status: 'pending', limit: 10 })).messages).toHaveLength(3);
    // LIKE wildcards in the filter are taken literally.
    expect((await listOutbox(database.db, admin, { recipient: '%', limit: 10 })).messages).toEqual([]);

    const message = await getOutboxMessage(database.db, admin, ids[0]!);
    expect(message).toMatchObject({ id: ids[0], recipient: `reader0@${domain}`, status: 'pending', entity: { type: 'user', id: 'u-1' } });
    expect(message.bodyText).toContain('есептік жазбаңызға жаңа құпиясөз орнатылды');
    await expect(getOutboxMessage(database.db, admin, randomUUID())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(getOutboxMessage(database.db, admin, 'not-a-uuid')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('the outbox pages', () => {
  let web: FastifyInstance;

  beforeAll(async () => {
    const config = testConfig(database);
    web = Fastify(buildServerOptions(config));
    await web.register(app, createAppDependencies(config, database.db));
    // Acting as a role without the sign-in pages: this file is about mail, and the portal's own
    // access check (config.access, before the handler) still decides on the user set here.
    web.addHook('onRequest', async (request) => {
      const role = request.headers['x-test-role'];
      if (typeof role === 'string') request.user = actor(role as AuthUser['role']);
    });
    // The pages as app.ts will register them (registered here while app.ts does not yet).
    if (!web.hasRoute({ method: 'GET', url: '/admin/outbox' })) await web.register(notificationsWeb);
    await web.ready();
  });
  afterAll(async () => {
    await web?.close();
  });

  it('shows administrators the messages, and a message with its links clickable and its HTML inert', async () => {
    const to = address();
    const link = 'http://localhost:3000/activate/Token_for-the-demo';
    const id = await enqueue(to, 'account_request_approved', { fullName: '<script>x</script>', requestNumber: 'AR-2026-000099', link, expiresAt: new Date() });
    const headers = { 'x-test-role': 'admin', cookie: 'lang=ru' };

    const list = await web.inject({ url: `/admin/outbox?recipient=${encodeURIComponent(to)}&status=pending`, headers });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Исходящая почта');
    expect(list.body).toContain(`href="/admin/outbox/${id}"`);
    expect(list.body).toContain('Учетная запись готова: заявка № AR-2026-000099');
    expect(list.body).toContain('Ожидает отправки');
    expect(list.body).toContain('<th scope="col">');
    expect((await web.inject({ url: `/admin/outbox?recipient=${encodeURIComponent(to)}&status=sent`, headers })).body).not.toContain(id);
    // A malformed filter is ignored rather than refused.
    expect((await web.inject({ url: '/admin/outbox?status=bogus&before=nope', headers })).statusCode).toBe(200);

    const page = await web.inject({ url: `/admin/outbox/${id}`, headers });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<a href="${link}">${link}</a>`);
    expect(page.body).not.toContain('<script>x</script>');
    expect(page.body).toMatch(/<iframe [^>]*sandbox=""[^>]*srcdoc="&lt;!doctype html&gt;/);
    expect((await web.inject({ url: `/admin/outbox/${randomUUID()}`, headers })).statusCode).toBe(404);
  });

  it('refuses everyone else', async () => {
    for (const role of ['staff', 'reviewer', 'auditor', 'authorized_officer']) {
      for (const url of ['/admin/outbox', `/admin/outbox/${randomUUID()}`]) {
        expect((await web.inject({ url, headers: { 'x-test-role': role, accept: 'application/json' } })).statusCode, `${role} ${url}`).toBe(403);
      }
    }
    expect((await web.inject({ url: '/admin/outbox', headers: { accept: 'application/json' } })).statusCode).toBe(401);
  });
});
