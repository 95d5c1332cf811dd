/**
 * Signed submissions (000 §5.4) through the real API and pages, with a trust store set
 * (PKI_TRUST_DIR of the openssl-made test PKI, its OCSP responder and CRL server on 127.0.0.1)
 * and real veraPDF checks: the staff member signs the manifest the portal hands out, the case
 * keeps the CMS, the manifest and the signer, and every kind of bad signature is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/modules/audit/audit.service.ts';
import { ensureKnownCalendarYears } from '../../src/modules/calendar/calendar.service.ts';
import { toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { createCrlCache } from '../../src/modules/signatures/crl.ts';
import { loadTrustStore } from '../../src/modules/signatures/trust-store.ts';
import { verifyCms } from '../../src/modules/signatures/verify-cms.ts';
import { buildTestApp } from '../support/app.ts';
import { type Browserless, createOrganization, createUser, csrfFrom, signInAs, type TestUser } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiUpload, fixtureFile, waitForVerdict } from '../support/documents.ts';
import { samplePassport } from '../support/objects.ts';
import { createTestPki, type TestKey, type TestPki } from '../support/test-pki.ts';

let pki: TestPki;
let database: TestDatabase;
let app: FastifyInstance;
let staffUser: TestUser;
let staff: Browserless;
let otherStaff: Browserless;
let reviewer: Browserless;
/** The BIN on the test PKI's employee certificates: the staff member's organization. */
const OWNER_BIN = '123456789021';
const today = toAlmatyDate(new Date());
const work = mkdtempSync(path.join(os.tmpdir(), 'signed-submissions-'));

async function call(session: Browserless, method: 'GET' | 'POST', url: string, payload?: object) {
  return app.inject({ method, url, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf }, ...(payload === undefined ? {} : { payload }) });
}

async function completeObject(session: Browserless, name: string): Promise<string> {
  const created = await call(session, 'POST', '/api/objects', { passport: samplePassport(name), informationChangedOn: today });
  expect(created.statusCode, created.body).toBe(201);
  const id = (created.json() as { id: string }).id;
  const upload = await apiUpload(app, session, id, 'technical_specification', { pdf: fixtureFile('good/tz.pdfa1.pdf'), docx: fixtureFile('good/tz.docx') });
  expect(upload.statusCode, upload.body).toBe(202);
  expect((await waitForVerdict(app, session, (upload.json() as { files: { pdf: { id: string } } }).files.pdf.id)).status).toBe('accepted');
  return id;
}

async function manifestOf(session: Browserless, objectId: string): Promise<Buffer> {
  const response = await call(session, 'GET', `/api/objects/${objectId}/submission-manifest`);
  expect(response.statusCode, response.body).toBe(200);
  return response.rawPayload;
}

async function signedSubmit(session: Browserless, objectId: string, key: TestKey, change?: (manifest: Buffer) => Buffer) {
  const manifest = await manifestOf(session, objectId);
  const cms = await pki.sign(key, manifest);
  const sent = change ? change(manifest) : manifest;
  return call(session, 'POST', `/api/objects/${objectId}/submit`, { signature: cms.toString('base64'), manifest: sent.toString('utf8') });
}

function refusalOf(response: { statusCode: number; json(): unknown; body: string }): string {
  expect(response.statusCode, response.body).toBe(422);
  const fields = (response.json() as { error: { code: string; details: { fields: Array<{ field: string; rule: string }> } } }).error;
  expect(fields.code).toBe('VALIDATION_FAILED');
  expect(fields.details.fields[0]!.field).toBe('signature');
  return fields.details.fields[0]!.rule;
}

let objectId: string;
let otherObjectId: string;

beforeAll(async () => {
  pki = await createTestPki();
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  app = await buildTestApp(database, { PKI_TRUST_DIR: pki.trustDir, PKI_REVOCATION_TIMEOUT_MS: '3000' }, { documentChecks: true });
  const organization = await createOrganization(database.db, { bin: OWNER_BIN, name_ru: 'АО "Тестовая организация"' });
  staffUser = await createUser(database.db, 'staff', { organizationId: organization });
  staff = await signInAs(app, staffUser);
  otherStaff = await signInAs(app, await createUser(database.db, 'staff', { organizationId: await createOrganization(database.db, { bin: '990340004562' }) }));
  reviewer = await signInAs(app, await createUser(database.db, 'reviewer', { organizationId: null }));
  [objectId, otherObjectId] = await Promise.all([completeObject(staff, 'Подписанная система'), completeObject(otherStaff, 'Система другой организации')]);
}, 240_000);

afterAll(async () => {
  await app?.close();
  await database?.destroy();
  await pki?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the manifest to sign', () => {
  it('is the canonical JSON of the object, its passport version and SHA-256 and every document file with its SHA-256', async () => {
    const manifest = JSON.parse((await manifestOf(staff, objectId)).toString('utf8'));
    expect(manifest).toMatchObject({ kind: 'submission', objectId, organizationBin: OWNER_BIN, objectVersion: expect.any(Number), passportSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(manifest.documents.map((d: { slot: string }) => d.slot)).toEqual(['technical_specification.docx', 'technical_specification.pdf']);
    expect(manifest.documents[1].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.now() - Date.parse(manifest.submittedAt)).toBeLessThan(60_000);
  });
});

describe('refused signatures', () => {
  it('refuses an unsigned submission when a trust store is set', async () => {
    expect(refusalOf(await call(staff, 'POST', `/api/objects/${objectId}/submit`))).toBe('signature_required');
  });

  it('refuses a signature over another manifest than the one sent (content mismatch)', async () => {
    const rule = refusalOf(await signedSubmit(staff, objectId, pki.keys.employeeSign, (manifest) => Buffer.from(manifest.toString('utf8').replace('"kind":"submission"', '"kind":"submission" '))));
    expect(rule).toBe('signature_content_mismatch');
  });

  it('refuses a SIGN key of another organization than the object’s owner', async () => {
    expect(refusalOf(await signedSubmit(otherStaff, otherObjectId, pki.keys.employeeSign))).toBe('signature_other_organization');
    // An individual's key carries no BIN at all.
    expect(refusalOf(await signedSubmit(staff, objectId, pki.keys.individualSign))).toBe('signature_other_organization');
  });

  it('refuses an AUTH key used to sign', async () => {
    expect(refusalOf(await signedSubmit(staff, objectId, pki.keys.employeeAuth))).toBe('signature_wrong_key_usage');
  });

  it('refuses a revoked certificate (the OCSP responder says so)', async () => {
    expect(refusalOf(await signedSubmit(staff, objectId, pki.keys.revoked))).toBe('signature_revoked');
  });

  it('refuses a certificate of another person than the account’s IIN', async () => {
    await database.db.updateTable('users').set({ iin: '880101300123' }).where('id', '=', staffUser.id).execute();
    try {
      expect(refusalOf(await signedSubmit(staff, objectId, pki.keys.employeeSign))).toBe('signature_other_person');
    } finally {
      await database.db.updateTable('users').set({ iin: null }).where('id', '=', staffUser.id).execute();
    }
  });

  it('says why on the object page, in the user’s language, when the form’s signature is refused', async () => {
    const page = await app.inject({ url: `/objects/${objectId}`, headers: { cookie: `${staff.cookie}; lang=ru` } });
    expect(page.body).toContain(`data-sign-manifest="/objects/${objectId}/submission-manifest"`);
    expect(page.body).toContain('src="/static/vendor/ncalayer-client.js"');
    const manifest = await manifestOf(staff, objectId);
    const cms = await pki.sign(pki.keys.employeeAuth, manifest);
    const posted = await app.inject({
      method: 'POST', url: `/objects/${objectId}/submit`, headers: { cookie: `${staff.cookie}; lang=ru` },
      payload: { _csrf: csrfFrom(page.body), manifest: manifest.toString('utf8'), signature: cms.toString('base64') },
    });
    expect(posted.statusCode).toBe(303);
    const after = await app.inject({ url: `/objects/${objectId}`, headers: { cookie: `${staff.cookie}; lang=ru` } });
    expect(after.body).toContain('Подпись отклонена: подписывайте ключом подписи (SIGN, RSA), а не ключом аутентификации (AUTH).');
    expect(await database.db.selectFrom('review_cases').select('id').where('object_id', '=', objectId).execute()).toEqual([]);
  });
});

describe('a signed submission', () => {
  it('is accepted and stored with the case: the manifest, the CMS and the signer, shown to the reviewer', async () => {
    const manifest = await manifestOf(staff, objectId);
    const cms = await pki.sign(pki.keys.employeeSign, manifest);
    const submitted = await call(staff, 'POST', `/api/objects/${objectId}/submit`, { signature: cms.toString('base64'), manifest: manifest.toString('utf8') });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const caseId = (submitted.json() as { id: string }).id;
    // The signed submission id is the case's.
    expect(caseId).toBe(JSON.parse(manifest.toString('utf8')).submissionId);

    const row = await database.db.selectFrom('review_signatures').selectAll().where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ purpose: 'submission', signed_by: staffUser.id, signer_iin: pki.keys.employeeSign.iin, signer_bin: OWNER_BIN, signer_name: 'СОТРУДНИКОВА АЙГУЛЬ', revocation_status: 'good', revocation_source: 'ocsp' });
    expect(row.manifest.equals(manifest)).toBe(true);
    expect(row.cms.equals(cms)).toBe(true);
    expect(row.certificate_serial.toLowerCase().replace(/^0+/, '')).toBe(pki.keys.employeeSign.serialHex.replace(/^0+/, ''));

    const page = await app.inject({ url: `/review/cases/${caseId}`, headers: { cookie: `${reviewer.cookie}; lang=kk` } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-submission-signature="signed"');
    expect(page.body).toContain('СОТРУДНИКОВА АЙГУЛЬ');
    expect(page.body).toContain(`<dd data-signer-iin>${pki.keys.employeeSign.iin}</dd>`);
    expect(page.body).toContain(`<dd data-signer-bin>${OWNER_BIN}</dd>`);
    expect(page.body).toContain('data-certificate-status="good"');
    expect(page.body).toContain('Жарамды, кері қайтарылмаған');

    const manifestFile = await call(reviewer, 'GET', `/review/cases/${caseId}/signatures/submission/manifest.json`);
    const signatureFile = await call(reviewer, 'GET', `/review/cases/${caseId}/signatures/submission/signature.p7s`);
    expect(manifestFile.rawPayload.equals(manifest)).toBe(true);
    expect(signatureFile.headers['content-type']).toBe('application/pkcs7-signature');
    expect(signatureFile.rawPayload.equals(cms)).toBe(true);
    // What a reviewer downloads verifies on its own, with the portal's verifier and with openssl.
    const verified = await verifyCms({
      cms: signatureFile.rawPayload, content: manifestFile.rawPayload, purpose: 'sign', trust: await loadTrustStore(pki.trustDir),
      revocation: { ocsp: true, crl: true, onUnavailable: 'refuse', timeoutMs: 3000, crlCache: createCrlCache({ timeoutMs: 3000 }) },
    });
    expect(verified).toMatchObject({ ok: true, signer: { bin: OWNER_BIN } });
    writeFileSync(path.join(work, 'manifest.json'), manifestFile.rawPayload);
    writeFileSync(path.join(work, 'manifest.json.p7s'), signatureFile.rawPayload);
    writeFileSync(path.join(work, 'ca.pem'), `${(await execa('openssl', ['x509', '-in', path.join(pki.trustDir, 'root.pem')])).stdout}\n${(await execa('openssl', ['x509', '-inform', 'DER', '-in', path.join(pki.trustDir, 'nca_rsa.cer')])).stdout}\n`);
    const openssl = await execa('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'manifest.json.p7s', '-content', 'manifest.json', '-CAfile', 'ca.pem', '-purpose', 'any', '-out', '/dev/null'], { cwd: work, reject: false });
    expect(openssl.stderr).toContain('Verification successful');

    const audit = await database.db.selectFrom('audit_events').select('after').where('action', '=', 'review_case.submitted').where('entity_id', '=', caseId).executeTakeFirstOrThrow();
    expect(audit.after).toMatchObject({ signature: { signerIin: pki.keys.employeeSign.iin, signerBin: OWNER_BIN, revocation: 'good' } });
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });

  it('cannot open a second case with the same signed manifest', async () => {
    const rows = await database.db.selectFrom('review_signatures').select(['manifest', 'cms']).execute();
    const replay = await call(staff, 'POST', `/api/objects/${objectId}/submit`, { signature: rows[0]!.cms.toString('base64'), manifest: rows[0]!.manifest.toString('utf8') });
    expect(replay.statusCode).toBe(409);
  });
});
