import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ORGANIZATION_KINDS } from '../../db/database.ts';
import { AppError, type FieldError } from '../../errors.ts';
import {
  type AccountRequestFormValues,
  applyFormIntent,
  decisionFormSchema,
  prefilledAccountRequestForm,
  idParams,
  MAX_PEOPLE,
  numberParams,
  parseAccountRequest,
  personParams,
  QUEUE_SORTS,
  QUEUE_STATUSES,
  queueFiltersSchema,
  readAccountRequestForm,
} from './account-requests.schemas.ts';
import {
  ACCOUNT_REQUEST_WORKING_DAYS,
  decideAccountRequestPerson,
  findSubmittedAccountRequest,
  getAccountRequest,
  listAccountRequests,
  submitAccountRequest,
} from './account-requests.service.ts';
import { errorTextFor, queueLink, summaryTextFor } from './account-requests.view.ts';
import { fieldErrors } from '../../web/route-helpers.ts';

declare module 'fastify' {
  interface Session {
    /** Numbers of the requests this visitor submitted: only they see the confirmation page. */
    submittedAccountRequests?: string[];
  }
}

const views = '/modules/accounts/views';
const review = { access: { permission: 'account_requests.review' } } as const;
const REMEMBERED_SUBMISSIONS = 10;

function conflictReason(error: unknown): string | null {
  if (!(error instanceof AppError) || error.code !== 'CONFLICT') return null;
  const reason = (error.details as { reason?: unknown } | null)?.reason;
  return reason === 'email_in_use' || reason === 'iin_in_use' ? reason : 'already_decided';
}

function renderForm(request: FastifyRequest, reply: FastifyReply, values: AccountRequestFormValues, errors: FieldError[] = []): FastifyReply {
  return reply.render(`${views}/new`, {
    values,
    errors,
    errorText: errorTextFor(request),
    summaryText: summaryTextFor(request),
    organizationKinds: ORGANIZATION_KINDS,
    maxPeople: MAX_PEOPLE,
    workingDays: ACCOUNT_REQUEST_WORKING_DAYS,
  });
}

export default async function accountRequestsWeb(fastify: FastifyInstance): Promise<void> {
  const { db, config } = fastify.deps;

  async function renderDetail(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    extra: { errors?: FieldError[]; conflict?: string; reasonFor?: string; reason?: string } = {},
  ): Promise<FastifyReply> {
    const accountRequest = await getAccountRequest(db, request.user, id);
    const errorText = errorTextFor(request);
    const summaryText = (error: FieldError): string => {
      const person = accountRequest.personList.find((p) => error.field === `reason-${p.id}`);
      return person ? request.t('accounts.review.summary_reason', { name: person.fullName, message: errorText(error) }) : errorText(error);
    };
    return reply.render(`${views}/detail`, { request: accountRequest, errorText, summaryText, errors: [], ...extra });
  }

  fastify.get('/account-requests/new', { config: { access: 'public' } }, async (request, reply) => renderForm(request, reply, prefilledAccountRequestForm((request.query ?? {}) as Record<string, unknown>)));

  fastify.post('/account-requests', { config: { access: 'public', rateLimit: { max: 20, timeWindow: '1 minute' } } }, async (request, reply) => {
    const { values, intent } = readAccountRequestForm(request.body);
    // "Add a person" and "remove this person" re-render the form as typed, without checking it yet.
    if (intent.kind !== 'submit') return renderForm(request, reply, applyFormIntent(values, intent));

    const parsed = parseAccountRequest(values);
    if (!parsed.ok) return renderForm(request, reply.status(422), values, parsed.errors);
    let number: string;
    try {
      ({ number } = await submitAccountRequest(db, parsed.input, { language: request.language, user: request.user, requestId: request.id }));
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return renderForm(request, reply.status(422), values, errors);
    }
    request.session.submittedAccountRequests = [...(request.session.submittedAccountRequests ?? []), number].slice(-REMEMBERED_SUBMISSIONS);
    return reply.redirect(`/account-requests/submitted/${number}`, 303);
  });

  fastify.get('/account-requests/submitted/:number', { config: { access: 'public' } }, async (request, reply) => {
    const params = numberParams.safeParse(request.params);
    // Request numbers are sequential: the page shows the people's names and e-mails only to whoever submitted.
    if (!params.success || !request.session.submittedAccountRequests?.includes(params.data.number)) throw new AppError('NOT_FOUND');
    const submitted = await findSubmittedAccountRequest(db, params.data.number);
    if (!submitted) throw new AppError('NOT_FOUND');
    return reply.render(`${views}/submitted`, { request: submitted, workingDays: ACCOUNT_REQUEST_WORKING_DAYS });
  });

  fastify.get('/review/account-requests', { config: review }, async (request, reply) => {
    const filters = queueFiltersSchema.parse(request.query ?? {});
    const result = await listAccountRequests(db, request.user, filters);
    return reply.render(`${views}/queue`, {
      filters,
      result,
      statuses: QUEUE_STATUSES,
      sorts: QUEUE_SORTS,
      pageLink: (page: number) => queueLink(filters, page),
    });
  });

  fastify.get('/review/account-requests/:id', { config: review }, async (request, reply) => {
    const params = idParams.safeParse(request.params);
    if (!params.success) throw new AppError('NOT_FOUND');
    return renderDetail(request, reply, params.data.id);
  });

  fastify.post('/review/account-requests/:id/people/:personId/decision', { config: review }, async (request, reply) => {
    const params = personParams.safeParse(request.params);
    if (!params.success) throw new AppError('NOT_FOUND');
    const form = decisionFormSchema.safeParse(request.body ?? {});
    if (!form.success) throw new AppError('BAD_REQUEST', 'decision must be approve or reject');
    const { id, personId } = params.data;
    try {
      const result = await decideAccountRequestPerson(
        db,
        request.user,
        { personId, accountRequestId: id, decision: form.data.decision, reason: form.data.reason },
        { baseUrl: config.baseUrl, requestId: request.id },
      );
      request.session.flash = result.closed ? 'accounts.review.flash_closed' : `accounts.review.flash_${result.decision}`;
    } catch (error) {
      const errors = fieldErrors(error);
      // The reason field of this person's form: ids on the page are per person.
      if (errors) {
        return renderDetail(request, reply.status(422), id, {
          errors: errors.map((e) => ({ ...e, field: `${e.field}-${personId}` })),
          reasonFor: personId,
          reason: form.data.reason,
        });
      }
      const conflict = conflictReason(error);
      if (conflict) return renderDetail(request, reply.status(409), id, { conflict });
      throw error;
    }
    return reply.redirect(`/review/account-requests/${id}#person-${personId}`, 303);
  });
}
