/**
 * The objects' own pages: the passport form (new and edit), the field-by-field comparison of two
 * versions, and the list of update duties. The object's page itself, which shows documents and the
 * review too, is composed above the modules (src/pages/object-page). Every page calls the service;
 * nothing here writes to the database.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FieldError } from '../../errors.ts';
import { can } from '../../access/permissions.ts';
import { conflictDetails, fieldErrors, parseParams, requireUser } from '../../web/route-helpers.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { normalizeBinInput, validateBin } from '../organizations/bin-iin.ts';
import { createObject, findObjectInputErrors, findOrganizationByBin, getObject, type ObjectDetail, updateObject } from './objects.service.ts';
import { compareObjectVersions } from './versions.service.ts';
import { listDuties, listDutyOrganizations } from './duties.service.ts';
import { DUTY_STATUS_FILTERS, type DutyStatusFilter, UPDATE_DUTY_WORKING_DAYS } from './update-duty.ts';
import { textsFor } from './objects.view.ts';
import {
  applyFormIntent,
  emptyPassportForm,
  firstPerField,
  FORM_GROUPS,
  formFromPassport,
  onFormFields,
  type PassportForm,
  passportFromForm,
  readPassportForm,
  withoutEmptyOptionalRows,
} from './passport-form.ts';
import {
  FUNDING_SOURCES,
  ICT_SERVICE_TYPES,
  INFRASTRUCTURE_SUBKINDS,
  OBJECT_KINDS,
  OFF_PLATFORM_GROUNDS,
  PLACEMENT_TYPES,
} from './passport.ts';

const views = '/modules/objects/views';
const read = { access: { permission: 'objects.read' } } as const;
const edit = { access: { permission: 'objects.edit' } } as const;

/** The possessor typed as a BIN: the registered organization's id, or the field error. */
async function resolvePossessor(request: FastifyRequest, form: PassportForm): Promise<{ id: string | null; errors: FieldError[] }> {
  const field = 'passport.possessor.bin';
  const raw = (form.values[field] ?? '').trim();
  if (raw === '') return { id: null, errors: [] };
  const errors: FieldError[] = [];
  if ((form.values['passport.possessor.name'] ?? '').trim() !== '') errors.push({ field: 'passport.possessor.name', rule: 'possessor_one_of' });
  const bin = validateBin(normalizeBinInput(raw));
  if (!bin.ok) return { id: null, errors: [...errors, { field, rule: 'bin_invalid' }] };
  const organization = await findOrganizationByBin(request.server.deps.db, request.user, bin.value);
  if (!organization) return { id: null, errors: [...errors, { field, rule: 'unknown_organization' }] };
  return { id: organization.id, errors };
}

const idParams = z.object({ id: z.guid() });
const versionParams = z.object({ id: z.guid(), from: z.coerce.number().int().min(1).max(1_000_000), to: z.coerce.number().int().min(1).max(1_000_000) });
const dutiesQuery = z.object({
  status: z.enum(DUTY_STATUS_FILTERS).catch('open'),
  organization: z.guid().optional().catch(undefined),
  cursor: z.string().max(500).optional().catch(undefined),
});

function today(): string {
  return toAlmatyDate(new Date());
}

export default async function objectsWeb(fastify: FastifyInstance): Promise<void> {
  const { db } = fastify.deps;

  function renderForm(
    request: FastifyRequest,
    reply: FastifyReply,
    form: PassportForm,
    options: { object?: ObjectDetail; errors?: FieldError[]; conflict?: { baseVersion: number; currentVersion: number; changedFields: string[] } } = {},
  ): FastifyReply {
    const texts = textsFor(request, form);
    return reply.render(`${views}/form`, {
      ...texts,
      values: form.values,
      counts: form.counts,
      groups: FORM_GROUPS,
      errors: options.errors ?? [],
      object: options.object ?? null,
      conflict: options.conflict ?? null,
      action: options.object ? `/objects/${options.object.id}` : '/objects',
      owner: options.object?.organization ?? null,
      kinds: OBJECT_KINDS,
      subkinds: INFRASTRUCTURE_SUBKINDS,
      serviceTypes: ICT_SERVICE_TYPES,
      placementTypes: PLACEMENT_TYPES,
      grounds: OFF_PLATFORM_GROUNDS,
      fundingSources: FUNDING_SOURCES,
      workingDays: UPDATE_DUTY_WORKING_DAYS,
    });
  }

  /** The possessor's errors together with every other error the service finds in the form. */
  async function allErrors(request: FastifyRequest, form: PassportForm, passport: Record<string, unknown>, possessorErrors: FieldError[], objectId?: string): Promise<FieldError[]> {
    const others = await findObjectInputErrors(db, request.user, { passport, informationChangedOn: (form.values.informationChangedOn ?? '').trim() }, objectId ? { objectId } : {});
    return firstPerField([...possessorErrors, ...onFormFields(others)]);
  }

  fastify.get('/objects/new', { config: edit }, async (request, reply) => renderForm(request, reply, emptyPassportForm(today())));

  fastify.post('/objects', { config: edit }, async (request, reply) => {
    const actor = requireUser(request);
    const { form: typed, intent } = readPassportForm(request.body);
    if (intent.kind !== 'save') return renderForm(request, reply, applyFormIntent(typed, intent));
    const form = withoutEmptyOptionalRows(typed);
    const possessor = await resolvePossessor(request, form);
    const passport = passportFromForm(form, possessor.id);
    if (possessor.errors.length > 0) {
      return renderForm(request, reply.status(422), form, { errors: await allErrors(request, form, passport, possessor.errors) });
    }
    let id: string;
    try {
      ({ id } = await createObject(db, actor, { passport, informationChangedOn: (form.values.informationChangedOn ?? '').trim() }, { requestId: request.id }));
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return renderForm(request, reply.status(422), form, { errors: firstPerField(onFormFields(errors)) });
    }
    request.session.flash = 'objects.flash.created';
    return reply.redirect(`/objects/${id}`, 303);
  });

  fastify.get('/objects/:id/edit', { config: edit }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const object = await getObject(db, request.user, id);
    if (object.readOnly) {
      request.session.flash = 'objects.flash.read_only';
      return reply.redirect(`/objects/${id}`, 303);
    }
    return renderForm(request, reply, formFromPassport(object.passport, object.organizations, today(), object.version), { object });
  });

  fastify.post('/objects/:id', { config: edit }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const object = await getObject(db, request.user, id);
    const { form: typed, intent } = readPassportForm(request.body);
    if (intent.kind !== 'save') return renderForm(request, reply, applyFormIntent(typed, intent), { object });
    const form = withoutEmptyOptionalRows(typed);
    const possessor = await resolvePossessor(request, form);
    const passport = passportFromForm(form, possessor.id);
    if (possessor.errors.length > 0) {
      return renderForm(request, reply.status(422), form, { object, errors: await allErrors(request, form, passport, possessor.errors, id) });
    }
    const expectedVersion = /^\d{1,9}$/.test(form.values.expectedVersion ?? '') ? Number(form.values.expectedVersion) : Number.NaN;
    try {
      await updateObject(db, request.user, id, { passport, informationChangedOn: (form.values.informationChangedOn ?? '').trim(), expectedVersion }, { requestId: request.id });
    } catch (error) {
      const errors = fieldErrors(error);
      if (errors) return renderForm(request, reply.status(422), form, { object, errors: firstPerField(onFormFields(errors)) });
      const refused = conflictDetails(error);
      if (refused?.reason === 'object_terminated') {
        request.session.flash = 'objects.flash.read_only';
        return reply.redirect(`/objects/${id}`, 303);
      }
      if (refused?.reason === 'stale_version' && refused.currentVersion !== undefined && Number.isInteger(expectedVersion)) {
        // Someone saved meanwhile: the form keeps what this user typed and says what the other changed;
        // saving again replaces it, knowingly.
        const comparison = await compareObjectVersions(db, request.user, id, expectedVersion, refused.currentVersion).catch(() => null);
        const current = await getObject(db, request.user, id);
        return renderForm(request, reply.status(409), { ...form, values: { ...form.values, expectedVersion: String(refused.currentVersion) } }, {
          object: current,
          conflict: { baseVersion: expectedVersion, currentVersion: refused.currentVersion, changedFields: comparison?.changes.map((change) => change.path) ?? [] },
        });
      }
      throw error;
    }
    request.session.flash = 'objects.flash.updated';
    return reply.redirect(`/objects/${id}`, 303);
  });

  fastify.get('/objects/:id/versions/:from/:to', { config: read }, async (request, reply) => {
    const { id, from, to } = parseParams(versionParams, request.params);
    const comparison = await compareObjectVersions(db, request.user, id, from, to);
    return reply.render(`${views}/diff`, { ...textsFor(request), comparison });
  });

  fastify.get('/duties', { config: read }, async (request, reply) => {
    const query = dutiesQuery.parse(request.query ?? {});
    const actor = requireUser(request);
    const readsAll = can(actor, 'duties.read_all');
    const page = await listDuties(db, actor, { status: query.status, organizationId: readsAll ? query.organization : undefined, cursor: query.cursor });
    const organizations = readsAll ? await listDutyOrganizations(db, actor) : [];
    const link = (cursor: string | null) => {
      const params = new URLSearchParams({ status: query.status });
      if (readsAll && query.organization) params.set('organization', query.organization);
      if (cursor) params.set('cursor', cursor);
      return `/duties?${params}`;
    };
    return reply.render(`${views}/duties`, {
      ...textsFor(request),
      page,
      query,
      readsAll,
      organizations,
      statuses: DUTY_STATUS_FILTERS satisfies readonly DutyStatusFilter[],
      workingDays: UPDATE_DUTY_WORKING_DAYS,
      nextLink: page.nextCursor ? link(page.nextCursor) : null,
      firstLink: query.cursor ? link(null) : null,
    });
  });
}
