import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/db/database.ts';
import { buildTestApp } from '../support/app.ts';
import { type Browserless, createOrganization, createUser, csrfFrom, mergeCookies, signInAs } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Who may call each route, written out by hand rather than derived from the routes' own
 * declarations, so that a route registered without an entry here, or declared more openly than
 * this table says, fails the build.
 *   public: everyone; signed_in: every signed-in role; a list: only those roles.
 * "staff_other" is staff of an organization other than the one the route's record belongs to.
 */
type Actor = 'anonymous' | 'staff' | 'staff_other' | Exclude<Role, 'staff'>;
type Rule = 'public' | 'signed_in' | Actor[];

const ADMIN: Actor[] = ['admin'];
const REVIEWERS: Actor[] = ['reviewer', 'admin'];

export const ACCESS_TABLE: Record<string, Rule> = {
  'GET /': 'public',
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /language/:code': 'public',
  'GET /static/*': 'public',
  'GET /static/vendor/*': 'public',
  'GET /sign-in': 'public',
  'POST /sign-in': 'public',
  'POST /sign-out': 'signed_in',
  'GET /account': 'signed_in',
  'POST /account/sign-out-everywhere': 'signed_in',
  'GET /account/password': 'signed_in',
  'POST /account/password': 'signed_in',
  'GET /password/forgot': 'public',
  'POST /password/forgot': 'public',
  'GET /activate/:token': 'public',
  'POST /activate/:token': 'public',
  'GET /password/reset/:token': 'public',
  'POST /password/reset/:token': 'public',
  'GET /sign-in/second-factor': 'public',
  'POST /sign-in/second-factor': 'public',
  'GET /sign-in/ecp': 'public',
  'POST /sign-in/ecp': 'public',
  'GET /static/vendor/ncalayer-client.js': 'public',
  'GET /account/two-factor': 'signed_in',
  'POST /account/two-factor': 'signed_in',
  'GET /account-requests/new': 'public',
  'POST /account-requests': 'public',
  'GET /account-requests/submitted/:number': 'public',
  'GET /review/account-requests': REVIEWERS,
  'GET /review/account-requests/:id': REVIEWERS,
  'POST /review/account-requests/:id/people/:personId/decision': REVIEWERS,
  'GET /admin': ADMIN,
  'GET /admin/users': ADMIN,
  'GET /admin/users/:id': ADMIN,
  'POST /admin/users/:id/deactivate': ADMIN,
  'POST /admin/users/:id/reactivate': ADMIN,
  'POST /admin/users/:id/role': ADMIN,
  'POST /admin/users/:id/iin': ADMIN,
  'POST /admin/users/:id/second-factor/reset': ADMIN,
  'GET /admin/organizations': ['reviewer', 'auditor', 'admin', 'authorized_officer'],
  'GET /admin/organizations/new': ADMIN,
  'POST /admin/organizations/new': ADMIN,
  'GET /admin/organizations/:id/edit': ADMIN,
  'POST /admin/organizations/:id/edit': ADMIN,
  'GET /admin/calendar': ADMIN,
  'POST /admin/calendar': ADMIN,
  'GET /admin/calendar/:year': ADMIN,
  'POST /admin/calendar/:year': ADMIN,
  'GET /admin/outbox': ADMIN,
  'GET /admin/outbox/:id': ADMIN,
  'GET /objects/new': ['staff', 'staff_other'],
  'POST /objects': ['staff', 'staff_other'],
  'GET /objects/:id': 'signed_in',
  'GET /objects/:id/edit': ['staff', 'staff_other'],
  'POST /objects/:id': ['staff', 'staff_other'],
  'POST /objects/:id/moves': ['staff', 'staff_other'],
  'POST /objects/:id/reports': REVIEWERS,
  'GET /objects/:id/versions/:from/:to': 'signed_in',
  'GET /duties': ['staff', 'staff_other', 'reviewer', 'auditor', 'admin'],
  'GET /objects/:id/documents/new': ['staff', 'staff_other'],
  'POST /objects/:id/documents': ['staff', 'staff_other'],
  'GET /documents/files/:fileId': 'signed_in',
  'GET /documents/files/:fileId/download': 'signed_in',
  'GET /documents/kinds': 'signed_in',
  'GET /admin/fixity': ADMIN,
  'POST /admin/fixity/run': ADMIN,
  'POST /objects/:id/submit': ['staff', 'staff_other'],
  'GET /objects/:id/submission-manifest': ['staff', 'staff_other'],
  'GET /review/cases/:id/signatures/submission/manifest.json': ['reviewer', 'auditor', 'admin'],
  'GET /review/cases/:id/signatures/submission/signature.p7s': ['reviewer', 'auditor', 'admin'],
  'GET /review/cases': ['reviewer', 'auditor', 'admin'],
  'GET /review/cases/:id': ['reviewer', 'auditor', 'admin'],
  'POST /review/cases/:id/take': REVIEWERS,
  'POST /review/cases/:id/comments': REVIEWERS,
  'POST /review/cases/:id/decision': REVIEWERS,
  'GET /issued-documents/:id/download': 'signed_in',
  'GET /verify': 'public',
  'GET /verify/extract.pdf': 'public',
  'GET /review/reports/sla': ['reviewer', 'auditor', 'admin'],
  'GET /review/reports/sla.csv': ['reviewer', 'auditor', 'admin'],
  'GET /registry': 'signed_in',
  'GET /registry.csv': 'signed_in',
  'GET /api/docs': 'public',
  'GET /api/docs/static/index.html': 'public',
  'GET /api/docs/static/swagger-initializer.js': 'public',
  'GET /api/docs/json': 'public',
  'GET /api/docs/yaml': 'public',
  'GET /api/docs/static/*': 'public',
  'GET /api/session': 'public',
  'GET /api/objects': 'signed_in',
  'POST /api/objects': ['staff', 'staff_other'],
  'GET /api/objects/:id': 'signed_in',
  'PUT /api/objects/:id': ['staff', 'staff_other'],
  'POST /api/objects/:id/moves': ['staff', 'staff_other'],
  'POST /api/objects/:id/reports': REVIEWERS,
  'GET /api/objects/:id/versions': 'signed_in',
  'GET /api/objects/:id/versions/:from/:to': 'signed_in',
  'GET /api/duties': ['staff', 'staff_other', 'reviewer', 'auditor', 'admin'],
  'POST /api/imports/objects': ['staff', 'staff_other'],
  'POST /api/objects/:id/documents': ['staff', 'staff_other'],
  'GET /api/objects/:id/documents': 'signed_in',
  'GET /api/document-files/:fileId': 'signed_in',
  'GET /api/document-files/:fileId/report': 'signed_in',
  'GET /api/document-files/:fileId/content': 'signed_in',
  'POST /api/objects/:id/submit': ['staff', 'staff_other'],
  'GET /api/objects/:id/submission-manifest': ['staff', 'staff_other'],
  'GET /api/review-cases': ['reviewer', 'auditor', 'admin'],
  'GET /api/review-cases/:id': ['reviewer', 'auditor', 'admin'],
  'POST /api/review-cases/:id/comments': REVIEWERS,
  'POST /api/review-cases/:id/decision': REVIEWERS,
  'GET /api/verify': 'public',
  'GET /audit': ['auditor', 'admin'],
  'GET /audit/export.csv': ['auditor', 'admin'],
  'GET /audit/export.jsonl': ['auditor', 'admin'],
  'POST /audit/verify': ['auditor', 'admin'],
  'GET /audit/events/:id': ['auditor', 'admin'],
  'GET /audit/access': ['auditor', 'admin'],
  'GET /objects/:id/history': ['auditor', 'admin'],
  'GET /objects/:id/as-of': ['auditor', 'admin'],
  'GET /monitoring': ['auditor', 'admin', 'authorized_officer'],
  'GET /monitoring/csv/:table': ['auditor', 'admin', 'authorized_officer'],
  'GET /audit/heads': 'public',
  'GET /audit/heads.json': 'public',
};

const ACTORS: Actor[] = ['anonymous', 'staff', 'staff_other', 'reviewer', 'auditor', 'admin', 'authorized_officer'];

function allowed(rule: Rule, actor: Actor): boolean {
  if (rule === 'public') return true;
  if (rule === 'signed_in') return actor !== 'anonymous';
  return rule.includes(actor);
}

/** A concrete URL for a route pattern: parameters get well-formed values that match no record. */
function concrete(url: string): string {
  return url
    .replace('/static/vendor/*', '/static/vendor/ncalayer-client.js')
    .replace('/static/*', '/static/site.css')
    .replace(':code', 'ru')
    .replace(':token', 'x'.repeat(43))
    .replace(/:(id|personId|[a-zA-Z]*Id)\b/g, '00000000-0000-4000-8000-000000000000')
    .replace(/:number\b/, 'AR-2026-000000')
    .replace(/:year\b/, '2026')
    .replace(/:[a-zA-Z]+/g, 'x');
}

let database: TestDatabase;
let app: FastifyInstance;
const sessions = new Map<Actor, Browserless>();

beforeAll(async () => {
  database = await createTestDatabase();
  app = await buildTestApp(database);
  const organization = await createOrganization(database.db, { bin: '990340001230' });
  const otherOrganization = await createOrganization(database.db, { bin: '990340004562' });
  const roles: Array<[Actor, Role, string | null]> = [
    ['staff', 'staff', organization],
    ['staff_other', 'staff', otherOrganization],
    ['reviewer', 'reviewer', null],
    ['auditor', 'auditor', null],
    ['admin', 'admin', null],
    ['authorized_officer', 'authorized_officer', null],
  ];
  for (const [actor, role, organizationId] of roles) {
    sessions.set(actor, await signInAs(app, await createUser(database.db, role, { organizationId })));
  }
  const page = await app.inject({ url: '/sign-in' });
  sessions.set('anonymous', { cookie: mergeCookies('', page.headers['set-cookie']), csrf: csrfFrom(page.body) });
});
afterAll(async () => {
  await app?.close();
  await database?.destroy();
});

describe('route access', () => {
  it('has an entry in the table for every registered route, and no stale entries', () => {
    const registered = app.routeAccess.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`);
    expect(registered.filter((key) => !(key in ACCESS_TABLE))).toEqual([]);
    expect(Object.keys(ACCESS_TABLE).filter((key) => !registered.includes(key))).toEqual([]);
  });

  it('declares each route no more openly than the table says', () => {
    for (const route of app.routeAccess.filter((r) => r.method !== 'HEAD')) {
      const rule = ACCESS_TABLE[`${route.method} ${route.url}`]!;
      if (rule !== 'public') expect(route.access, `${route.method} ${route.url}`).not.toBe('public');
      if (Array.isArray(rule)) expect(typeof route.access, `${route.method} ${route.url}`).toBe('object');
    }
  });

  it('lets each actor through exactly where the table allows, and stops everyone else on the server', async () => {
    const failures: string[] = [];
    for (const route of app.routeAccess.filter((r) => r.method !== 'HEAD')) {
      const rule = ACCESS_TABLE[`${route.method} ${route.url}`];
      if (!rule) continue;
      for (const actor of ACTORS) {
        // Signing out would end the session the next checks use.
        if (route.url === '/sign-out' || route.url === '/account/sign-out-everywhere') continue;
        const session = sessions.get(actor)!;
        const response = await app.inject({
          method: route.method as 'GET' | 'POST',
          url: concrete(route.url),
          headers: { cookie: session.cookie },
          ...(route.method === 'GET' ? {} : { payload: { _csrf: session.csrf } }),
        });
        const deniedAnonymous = response.statusCode === 401 || (response.statusCode === 303 && String(response.headers.location).startsWith('/sign-in?return='));
        const denied = response.statusCode === 403 || deniedAnonymous;
        const expectAllowed = allowed(rule, actor);
        if (expectAllowed === denied) {
          failures.push(`${route.method} ${route.url} as ${actor}: expected ${expectAllowed ? 'allowed' : 'denied'}, got ${response.statusCode}`);
        }
        if (response.statusCode >= 500) failures.push(`${route.method} ${route.url} as ${actor}: server error ${response.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('checks sign-out for signed-in actors only', async () => {
    const anonymous = sessions.get('anonymous')!;
    const response = await app.inject({ method: 'POST', url: '/sign-out', headers: { cookie: anonymous.cookie }, payload: { _csrf: anonymous.csrf } });
    expect([401, 303]).toContain(response.statusCode);
    expect(response.statusCode === 303 ? String(response.headers.location) : '/sign-in?return=').toMatch(/^\/sign-in\?return=/);
  });
});

