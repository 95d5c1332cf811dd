import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { projectRoot } from '../../config.ts';
import type { Database, OrganizationKind, Role } from '../../db/database.ts';
import { schemaValidator, toFieldErrors } from '../../schema-registry.ts';
import { recordAuditEvent } from '../audit/audit.service.ts';
import { isValidBinOrIin } from '../organizations/bin-iin.ts';
import { valuesOf } from '../organizations/organizations.repository.ts';
import { ensureOrganization } from '../organizations/organizations.service.ts';
import { toAuthUser } from '../../access/permissions.ts';
import { objectNamedExists } from '../objects/objects.repository.ts';
import { createObject, type ObjectInput } from '../objects/objects.service.ts';
import { hashPassword } from '../users/passwords.ts';
import { findUserByEmail, insertUserIfAbsent } from '../users/users.repository.ts';

export interface DemoDataFile {
  password: string;
  organizations: Array<{ key: string; bin: string; kind: OrganizationKind; name_kk: string; name_ru: string; name_en?: string | null }>;
  users: Array<{
    email: string;
    role: Role;
    organization: string | null;
    surname: string;
    given_name: string;
    patronymic?: string | null;
    position?: string | null;
    phone?: string | null;
    preferred_language?: 'kk' | 'ru' | 'en' | null;
  }>;
  /** Registered by their owner's staff member through createObject, so checked like any passport. */
  objects?: Array<{ owner: string; informationChangedOn: string; passport: Record<string, unknown> }>;
}

export const demoDataFile = path.join(projectRoot, 'fixtures', 'demo', 'demo-data.json');

export class DemoDataError extends Error {
  override name = 'DemoDataError';
}

export function readDemoData(file = demoDataFile): DemoDataFile {
  const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const validate = schemaValidator<DemoDataFile>('demo-data.schema.json');
  if (!validate(data)) {
    const problems = toFieldErrors(validate.errors).map((e) => `${e.field} (${e.rule})`);
    throw new DemoDataError(`demo data ${file} is invalid: ${problems.join(', ')}`);
  }
  const keys = new Set(data.organizations.map((o) => o.key));
  for (const organization of data.organizations) {
    if (!isValidBinOrIin(organization.bin)) throw new DemoDataError(`demo organization ${organization.key}: BIN ${organization.bin} fails its check digit`);
  }
  for (const user of data.users) {
    if (user.organization !== null && !keys.has(user.organization)) throw new DemoDataError(`demo user ${user.email}: unknown organization ${user.organization}`);
    if (user.role === 'staff' && user.organization === null) throw new DemoDataError(`demo user ${user.email}: staff need an organization`);
  }
  for (const object of data.objects ?? []) {
    const owner = data.users.find((user) => user.email === object.owner);
    if (!owner || owner.role !== 'staff') throw new DemoDataError(`demo object ${JSON.stringify(object.passport.name ?? '')}: owner ${object.owner} is not a demo staff user`);
  }
  return data;
}

export interface DemoAccount {
  email: string;
  role: Role;
  organization: string | null;
}

/**
 * Loads the demo organizations and users that are not there yet (matched by BIN and e-mail), each
 * with its audit event, in one transaction; then the demo objects. Running it again changes nothing.
 */
export async function loadDemoData(db: Kysely<Database>, data: DemoDataFile = readDemoData()): Promise<{ created: number; accounts: DemoAccount[] }> {
  const passwordHash = await hashPassword(data.password);
  const actor = { kind: 'system', label: 'system:demo-data' } as const;
  const people = await db.transaction().execute(async (trx) => {
    let created = 0;
    const organizationIds = new Map<string, string>();
    for (const organization of data.organizations) {
      const values = {
        bin: organization.bin,
        kind: organization.kind,
        name_kk: organization.name_kk,
        name_ru: organization.name_ru,
        name_en: organization.name_en ?? null,
      };
      const ensured = await ensureOrganization(trx, values, { actor, after: (inserted) => ({ id: inserted.id, ...valuesOf(inserted) }) });
      if (ensured.created) created += 1;
      organizationIds.set(organization.key, ensured.id);
    }
    const accounts: DemoAccount[] = [];
    for (const user of data.users) {
      const organizationId = user.organization === null ? null : organizationIds.get(user.organization)!;
      const inserted = await insertUserIfAbsent(trx, {
        email: user.email.toLowerCase(),
        surname: user.surname,
        given_name: user.given_name,
        patronymic: user.patronymic ?? null,
        position: user.position ?? null,
        phone: user.phone ?? null,
        role: user.role,
        organization_id: organizationId,
        password_hash: passwordHash,
        status: 'active',
        preferred_language: user.preferred_language ?? null,
      });
      if (inserted) {
        created += 1;
        const { password_hash: _omitted, ...visible } = inserted;
        await recordAuditEvent(trx, { actor, entityType: 'user', entityId: inserted.id, action: 'user.created', before: null, after: visible });
      }
      accounts.push({ email: user.email, role: user.role, organization: user.organization });
    }
    return { created, accounts };
  });
  // Then the objects, each through the same use case (and transaction, and audit event) as the
  // pages; one whose owner already has an object of that Russian name is there already.
  let objectsCreated = 0;
  for (const object of data.objects ?? []) {
    const owner = (await findUserByEmail(db, object.owner.toLowerCase()))!;
    const name = (object.passport as { name?: { full?: { ru?: string } } }).name?.full?.ru ?? '';
    if (await objectNamedExists(db, owner.organization_id!, name)) continue;
    await createObject(db, toAuthUser(owner), { passport: object.passport as unknown as ObjectInput['passport'], informationChangedOn: object.informationChangedOn });
    objectsCreated += 1;
  }
  return { created: people.created + objectsCreated, accounts: people.accounts };
}
