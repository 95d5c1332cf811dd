/**
 * The objects' own pages: the passport form (new and edit), the field-by-field comparison of two
 * versions, and the list of update duties. The object's page itself, which shows documents and the
 * review too, is composed above the modules (src/pages/object-page). Every page calls the service;
 * nothing here writes to the database.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FieldError } from '../../errors.ts';
import { can } from '../../access/permissions.ts';
import { conflictDetails, fieldErrors, parseParams, requireUser } from '../../web/route-helpers.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { createObject, findObjectInputErrors, getObject, updateObject } from './objects.service.ts';
import { findOrganizationByBin } from '../organizations/organizations.service.ts';
import { compareObjectVersions } from './versions.service.ts';
import { listDuties, listDutyOrganizations } from './duties.service.ts';
import { DUTY_STATUS_FILTERS, type DutyStatusFilter, UPDATE_DUTY_WORKING_DAYS } from './update-duty.ts';
import { type PassportFormOptions, passportFormModel, textsFor } from './objects.view.ts';
import { dutiesQuerySchema, objectIdParams, versionComparisonParams } from './objects.schemas.ts';
import {
  applyFormIntent,
  emptyPassportForm,
  firstPerField,
  formFromPassport,
  onFormFields,
  type PassportForm,
  passportFromForm,
  POSSESSOR_BIN_FIELD,
  possessorBin,
  readPassportForm,
  withoutEmptyOptionalRows,
} from './passport-form.ts';

const views = '/modules/objects/views';
const read = { access: { permission: 'objects.read' } } as const;
const edit = { access: { permission: 'objects.edit' } } as const;

/** The possessor typed as a BIN: the registered organization's id, or the field error. */
async function resolvePossessor(request: FastifyRequest, form: PassportForm): Promise<{ id: string | null; errors: FieldError[] }> {
  const typed = possessorBin(form);
  if (typed.bin === null) return { id: null, errors: typed.errors };
  const organization = await findOrganizationByBin(request.server.deps.db, request.user, typed.bin);
  if (!organization) return { id: null, errors: [...typed.errors, { field: POSSESSOR_BIN_FIELD, rule: 'unknown_organization' }] };
  return { id: organization.id, errors: typed.errors };
}

function today(): string {
  return toAlmatyDate(new Date());
}

export default async function objectsWeb(fastify: FastifyInstance): Promise<void> {
  const { db } = fastify.deps;

  function renderForm(request: FastifyRequest, reply: FastifyReply, form: PassportForm, options: PassportFormOptions = {}): FastifyReply {
    return reply.render(`${views}/form`, passportFormModel(request, form, options));
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
    const { id } = parseParams(objectIdParams, request.params);
    const object = await getObject(db, request.user, id);
    if (object.readOnly) {
      request.session.flash = 'objects.flash.read_only';
      return reply.redirect(`/objects/${id}`, 303);
    }
    return renderForm(request, reply, formFromPassport(object.passport, object.organizations, today(), object.version), { object });
  });

  fastify.post('/objects/:id', { config: edit }, async (request, reply) => {
    const { id } = parseParams(objectIdParams, request.params);
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
    const { id, from, to } = parseParams(versionComparisonParams, request.params);
    const comparison = await compareObjectVersions(db, request.user, id, from, to);
    return reply.render(`${views}/diff`, { ...textsFor(request), comparison });
  });

  fastify.get('/duties', { config: read }, async (request, reply) => {
    const query = dutiesQuerySchema.parse(request.query ?? {});
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
