import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/modules/audit/audit.service.ts';
import { ensureKnownCalendarYears } from '../../src/modules/calendar/calendar.service.ts';
import { demoDataFile, loadDemoData, readDemoData } from '../../src/modules/demo/demo-data.ts';
import { isValidBinOrIin } from '../../src/modules/organizations/bin-iin.ts';
import { verifyPassword } from '../../src/modules/users/passwords.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
});
afterAll(async () => {
  await database?.destroy();
});

describe('demo data', () => {
  it('has valid BINs and one user of every role, staff in two organizations', () => {
    const data = readDemoData();
    for (const organization of data.organizations) expect(isValidBinOrIin(organization.bin), organization.bin).toBe(true);
    const roles = new Set(data.users.map((u) => u.role));
    expect([...roles].sort()).toEqual(['admin', 'auditor', 'authorized_officer', 'reviewer', 'staff']);
    const staffOrganizations = new Set(data.users.filter((u) => u.role === 'staff').map((u) => u.organization));
    expect(staffOrganizations.size).toBeGreaterThanOrEqual(2);
    expect(new Set(data.organizations.map((o) => o.kind)).size).toBeGreaterThanOrEqual(3);
  });

  it('loads once, with an audit event per record, and changes nothing the second time', async () => {
    const data = readDemoData();
    const first = await loadDemoData(database.db);
    const objects = data.objects ?? [];
    expect(objects.length).toBeGreaterThanOrEqual(3);
    expect(first.created).toBe(data.organizations.length + data.users.length + objects.length);
    const second = await loadDemoData(database.db);
    expect(second.created).toBe(0);
    const events = await database.db.selectFrom('audit_events').selectAll().execute();
    const people = events.filter((e) => e.actor_label === 'system:demo-data');
    expect(people).toHaveLength(data.organizations.length + data.users.length);
    expect(people.map((e) => e.action).sort()).toEqual([...data.organizations.map(() => 'organization.created'), ...data.users.map(() => 'user.created')].sort());
    // Each object was registered by its owner's staff member, through the pages' own use case.
    const registered = events.filter((e) => e.action === 'object.created');
    expect(registered).toHaveLength(objects.length);
    const owners = await database.db.selectFrom('users').select(['id', 'email']).where('role', '=', 'staff').execute();
    expect(new Set(registered.map((e) => owners.find((o) => o.id === e.actor_user_id)?.email))).toEqual(new Set(objects.map((o) => o.owner)));
    expect(Number((await database.db.selectFrom('objects').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)).toBe(objects.length);
    expect(JSON.stringify(events)).not.toContain('$argon2');
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });

  it('stores argon2id password hashes that verify', async () => {
    const user = await database.db.selectFrom('users').selectAll().where('email', '=', 'reviewer@portal.example').executeTakeFirstOrThrow();
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user.password_hash!, readDemoData().password)).toBe(true);
    expect(await verifyPassword(user.password_hash!, 'wrong password')).toBe(false);
  });

  it('refuses a file with a BIN whose check digit is wrong', () => {
    const broken = JSON.parse(readFileSync(demoDataFile, 'utf8')) as { organizations: Array<{ bin: string }> };
    broken.organizations[0]!.bin = '990340001231';
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'portal-demo-')), 'demo.json');
    writeFileSync(file, JSON.stringify(broken));
    expect(() => readDemoData(file)).toThrow(/check digit/);
  });
});
