import type { FastifyRequest } from 'fastify';
import type { FieldError } from '../../errors.ts';
import { ACCOUNT_VALIDATION_RULES, type QueueFilters } from './account-requests.schemas.ts';

/** This module's field errors are translated under `accounts.validation.`, the shared ones under `validation.`. */
export function errorTextFor(request: FastifyRequest): (error: FieldError) => string {
  return (error) =>
    request.t(ACCOUNT_VALIDATION_RULES.has(error.rule) ? `accounts.validation.${error.rule}` : `validation.${error.rule}`, error.params ?? {});
}

const PERSON_FIELD = /^people\[(\d+)\]\[([a-z_]+)\]$/;

/** The error summary names the field each message is about: the same message may stand beside many fields. */
export function summaryTextFor(request: FastifyRequest): (error: FieldError) => string {
  const errorText = errorTextFor(request);
  const t = request.t;
  return (error) => {
    const message = errorText(error);
    const person = PERSON_FIELD.exec(error.field);
    if (person) return t('accounts.form.summary_person', { n: Number(person[1]) + 1, field: t(`accounts.form.${person[2]}`), message });
    if (error.field === 'people') return t('accounts.form.summary_field', { field: t('accounts.form.people_title'), message });
    if (error.field.startsWith('contact_')) return t('accounts.form.summary_contact', { field: t(`accounts.form.${error.field}`), message });
    return t('accounts.form.summary_field', { field: t(`accounts.form.${error.field}`), message });
  };
}

export function queueLink(filters: QueueFilters, page: number): string {
  const query = new URLSearchParams({ status: filters.status, sort: filters.sort });
  if (filters.overdue) query.set('overdue', '1');
  if (page > 1) query.set('page', String(page));
  return `/review/account-requests?${query}`;
}
