import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fixityOverview } from '../documents/fixity.service.ts';
import { ORGANIZATION_KINDS, ROLES, USER_STATUSES } from '../../db/database.ts';
import type { FieldError } from '../../errors.ts';
import { can } from '../../access/permissions.ts';
import { changeUserRole, deactivateUser, reactivateUser } from '../auth/user-access.service.ts';
import { resetUserSecondFactor } from '../auth/second-factor.service.ts';
import { type CalendarYearForm, formFromYearData, parseCalendarYearForm } from '../calendar/calendar-form.ts';
import { addCalendarYear, CALENDAR_YEAR_LIMITS, getCalendarYear, listCalendarYears, updateCalendarYear } from '../calendar/calendar.service.ts';
import { createReadinessProbe } from '../health/health.service.ts';
import {
  createOrganization,
  getOrganizationForEdit,
  listOrganizationChoices,
  listOrganizations,
  type OrganizationInput,
  updateOrganization,
} from '../organizations/organizations.service.ts';
import { getUserDetails, listUsers, setUserIin } from '../users/users.service.ts';
import { render } from './admin.view.ts';
import { fieldErrors, parseParams } from '../../web/route-helpers.ts';

const idParams = z.object({ id: z.guid() });
const yearParams = z.object({ year: z.coerce.number().int().min(CALENDAR_YEAR_LIMITS.min).max(CALENDAR_YEAR_LIMITS.max) });
const usersQuery = z.object({
  role: z.enum(ROLES).optional().catch(undefined),
  organization: z.guid().optional().catch(undefined),
  status: z.enum(USER_STATUSES).optional().catch(undefined),
  q: z.string().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).catch(1),
});
const searchQuery = z.object({ q: z.string().max(200).optional().catch(undefined) });
const roleForm = z.object({ role: z.string().default(''), organization_id: z.string().default('') });
const iinForm = z.object({ iin: z.string().max(40).default('') });
const organizationForm = z.object({
  bin: z.string().default(''),
  kind: z.string().default(''),
  name_kk: z.string().default(''),
  name_ru: z.string().default(''),
  name_en: z.string().default(''),
});
const addYearForm = z.object({ year: z.string().default('') });
const calendarForm = z.object({
  kurban_ait: z.string().default(''),
  transfers: z.string().default(''),
  added_holidays: z.string().default(''),
  removed_holidays: z.string().default(''),
  source: z.string().default(''),
  provisional: z.string().optional(),
  version: z.string().default(''),
});

export default async function adminWeb(fastify: FastifyInstance): Promise<void> {
  const { db } = fastify.deps;
  const readiness = createReadinessProbe(fastify.deps);

  fastify.get('/admin', { config: { access: { permission: 'system.status' } } }, async (request, reply) => {
    const report = await readiness();
    const fixity = await fixityOverview(db, request.user, 1);
    return render(request, reply, 'overview', { report, fixity });
  });

  // --- users ---------------------------------------------------------------------------------

  fastify.get('/admin/users', { config: { access: { permission: 'users.manage' } } }, async (request, reply) => {
    const query = usersQuery.parse(request.query ?? {});
    const actor = request.user!;
    const filters = { role: query.role, organizationId: query.organization, status: query.status, search: query.q };
    const [result, organizations] = await Promise.all([
      listUsers(db, { actor, filters, page: query.page }),
      listOrganizationChoices(db, { actor }),
    ]);
    const pageLink = (page: number) => {
      const params = new URLSearchParams();
      if (query.role) params.set('role', query.role);
      if (query.organization) params.set('organization', query.organization);
      if (query.status) params.set('status', query.status);
      if (query.q) params.set('q', query.q);
      params.set('page', String(page));
      return `/admin/users?${params.toString()}`;
    };
    return render(request, reply, 'users', {
      ...result,
      organizations,
      roles: ROLES,
      statuses: USER_STATUSES,
      values: { role: query.role ?? '', organization: query.organization ?? '', status: query.status ?? '', q: query.q ?? '' },
      pageLink,
    });
  });

  async function showUser(request: FastifyRequest, reply: FastifyReply, userId: string, errors: FieldError[] = [], values?: Record<string, string>) {
    const actor = request.user!;
    const [account, organizations] = await Promise.all([getUserDetails(db, { actor, userId }), listOrganizationChoices(db, { actor })]);
    return render(request, reply.status(errors.length ? 422 : 200), 'user', {
      account,
      organizations,
      roles: ROLES,
      isSelf: actor.id === account.id,
      errors,
      // One form posted; the others show what is stored.
      values: { role: account.role, organization_id: account.organization?.id ?? '', iin: account.iin ?? '', ...values },
    });
  }

  fastify.get('/admin/users/:id', { config: { access: { permission: 'users.manage' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    return showUser(request, reply, id);
  });

  const userActions = {
    deactivate: { run: deactivateUser, flash: 'admin.flash.user_deactivated' },
    reactivate: { run: reactivateUser, flash: 'admin.flash.user_reactivated' },
  } as const;
  for (const [action, { run, flash }] of Object.entries(userActions)) {
    fastify.post(`/admin/users/:id/${action}`, { config: { access: { permission: 'users.manage' } } }, async (request, reply) => {
      const { id } = parseParams(idParams, request.params);
      try {
        const { changed } = await run(db, { actor: request.user!, userId: id, requestId: request.id });
        request.session.flash = changed ? flash : 'admin.flash.nothing_changed';
      } catch (error) {
        const errors = fieldErrors(error);
        if (!errors) throw error;
        return showUser(request, reply, id, errors);
      }
      return reply.redirect(`/admin/users/${id}`, 303);
    });
  }

  fastify.post('/admin/users/:id/role', { config: { access: { permission: 'users.manage' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const values = roleForm.parse(request.body ?? {});
    const organizationId = z.guid().safeParse(values.organization_id);
    try {
      const { changed } = await changeUserRole(db, {
        actor: request.user!,
        userId: id,
        role: values.role,
        organizationId: organizationId.success ? organizationId.data : null,
        requestId: request.id,
      });
      request.session.flash = changed ? 'admin.flash.role_changed' : 'admin.flash.nothing_changed';
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return showUser(request, reply, id, errors, values);
    }
    return reply.redirect(`/admin/users/${id}`, 303);
  });

  fastify.post('/admin/users/:id/iin', { config: { access: { permission: 'users.manage' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const values = iinForm.parse(request.body ?? {});
    try {
      const { changed } = await setUserIin(db, { actor: request.user!, userId: id, iin: values.iin, requestId: request.id });
      request.session.flash = changed ? 'admin.flash.iin_saved' : 'admin.flash.nothing_changed';
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return showUser(request, reply, id, errors, values);
    }
    return reply.redirect(`/admin/users/${id}`, 303);
  });

  fastify.post('/admin/users/:id/second-factor/reset', { config: { access: { permission: 'users.manage' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const { changed } = await resetUserSecondFactor(db, { actor: request.user!, userId: id, currentSid: request.session.sessionId, requestId: request.id });
    request.session.flash = changed ? 'admin.flash.second_factor_reset' : 'admin.flash.nothing_changed';
    return reply.redirect(`/admin/users/${id}`, 303);
  });

  // --- organizations -------------------------------------------------------------------------

  fastify.get('/admin/organizations', { config: { access: { permission: 'organizations.read' } } }, async (request, reply) => {
    const { q } = searchQuery.parse(request.query ?? {});
    const organizations = await listOrganizations(db, { actor: request.user!, search: q });
    return render(request, reply, 'organizations', { organizations, values: { q: q ?? '' }, canManage: can(request.user, 'organizations.manage') });
  });

  function showOrganizationForm(request: FastifyRequest, reply: FastifyReply, action: string, values: OrganizationInput, errors: FieldError[] = []) {
    return render(request, reply.status(errors.length ? 422 : 200), 'organization-form', {
      action,
      isNew: action === '/admin/organizations/new',
      kinds: ORGANIZATION_KINDS,
      values,
      errors,
    });
  }

  fastify.get('/admin/organizations/new', { config: { access: { permission: 'organizations.manage' } } }, async (request, reply) =>
    showOrganizationForm(request, reply, '/admin/organizations/new', { bin: '', kind: '', name_kk: '', name_ru: '', name_en: '' }),
  );

  fastify.post('/admin/organizations/new', { config: { access: { permission: 'organizations.manage' } } }, async (request, reply) => {
    const values = organizationForm.parse(request.body ?? {});
    try {
      await createOrganization(db, { actor: request.user!, values, requestId: request.id });
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return showOrganizationForm(request, reply, '/admin/organizations/new', values, errors);
    }
    request.session.flash = 'admin.flash.organization_created';
    return reply.redirect('/admin/organizations', 303);
  });

  fastify.get('/admin/organizations/:id/edit', { config: { access: { permission: 'organizations.manage' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const values = await getOrganizationForEdit(db, { actor: request.user!, organizationId: id });
    return showOrganizationForm(request, reply, `/admin/organizations/${id}/edit`, values);
  });

  fastify.post('/admin/organizations/:id/edit', { config: { access: { permission: 'organizations.manage' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const values = organizationForm.parse(request.body ?? {});
    try {
      const { changed } = await updateOrganization(db, { actor: request.user!, organizationId: id, values, requestId: request.id });
      request.session.flash = changed ? 'admin.flash.organization_updated' : 'admin.flash.nothing_changed';
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return showOrganizationForm(request, reply, `/admin/organizations/${id}/edit`, values, errors);
    }
    return reply.redirect('/admin/organizations', 303);
  });

  // --- working-day calendar ------------------------------------------------------------------

  async function showCalendar(request: FastifyRequest, reply: FastifyReply, values: { year: string } = { year: '' }, errors: FieldError[] = []) {
    const years = await listCalendarYears(db, { actor: request.user! });
    return render(request, reply.status(errors.length ? 422 : 200), 'calendar', { years, values, errors });
  }

  fastify.get('/admin/calendar', { config: { access: { permission: 'calendar.manage' } } }, async (request, reply) => showCalendar(request, reply));

  fastify.post('/admin/calendar', { config: { access: { permission: 'calendar.manage' } } }, async (request, reply) => {
    const values = addYearForm.parse(request.body ?? {});
    const text = values.year.trim();
    if (!/^\d{4}$/.test(text)) {
      const rule = text === '' ? 'required' : 'admin.calendar.errors.year_range';
      return showCalendar(request, reply, values, [{ field: 'year', rule, params: CALENDAR_YEAR_LIMITS }]);
    }
    try {
      await addCalendarYear(db, { actor: request.user!, year: Number(text), requestId: request.id });
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return showCalendar(request, reply, values, errors);
    }
    request.session.flash = 'admin.flash.calendar_year_added';
    return reply.redirect(`/admin/calendar/${text}`, 303);
  });

  async function showCalendarYear(
    request: FastifyRequest,
    reply: FastifyReply,
    year: number,
    typed?: { values: CalendarYearForm; errors: FieldError[] },
  ) {
    const details = await getCalendarYear(db, { actor: request.user!, year });
    return render(request, reply.status(typed?.errors.length ? 422 : 200), 'calendar-year', {
      details,
      values: typed?.values ?? formFromYearData(details.data),
      // A form re-shown after a refused save is checked against the version now stored.
      version: details.updatedAt.toISOString(),
      errors: typed?.errors ?? [],
    });
  }

  fastify.get('/admin/calendar/:year', { config: { access: { permission: 'calendar.manage' } } }, async (request, reply) => {
    const { year } = parseParams(yearParams, request.params);
    return showCalendarYear(request, reply, year);
  });

  fastify.post('/admin/calendar/:year', { config: { access: { permission: 'calendar.manage' } } }, async (request, reply) => {
    const { year } = parseParams(yearParams, request.params);
    const body = calendarForm.parse(request.body ?? {});
    const values: CalendarYearForm = {
      kurban_ait: body.kurban_ait,
      transfers: body.transfers,
      added_holidays: body.added_holidays,
      removed_holidays: body.removed_holidays,
      source: body.source,
      provisional: body.provisional !== undefined,
    };
    const parsed = parseCalendarYearForm(values);
    if (!parsed.ok) return showCalendarYear(request, reply, year, { values, errors: parsed.errors });
    try {
      const { changed } = await updateCalendarYear(db, { actor: request.user!, year, data: parsed.data, expectedUpdatedAt: body.version, requestId: request.id });
      request.session.flash = changed ? 'admin.flash.calendar_year_saved' : 'admin.flash.nothing_changed';
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return showCalendarYear(request, reply, year, { values, errors });
    }
    return reply.redirect(`/admin/calendar/${year}`, 303);
  });
}
