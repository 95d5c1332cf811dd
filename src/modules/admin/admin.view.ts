import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FieldError } from '../../errors.ts';
import { LOCALE_TAGS } from '../../web/i18n.ts';
import type { CalendarDate, DayDescription } from '../calendar/working-days.ts';
import type { OrganizationNames } from '../organizations/organizations.repository.ts';

const views = '/modules/admin/views';

/** An admin page, with the helpers its templates use to name organizations, dates and days off. */
export function render(request: FastifyRequest, reply: FastifyReply, view: string, data: Record<string, unknown> = {}): FastifyReply {
  const language = request.language;
  const dateFormat = new Intl.DateTimeFormat(LOCALE_TAGS[language], { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  const formatDate = (date: CalendarDate) => dateFormat.format(new Date(`${date}T00:00:00Z`));
  return reply.render(`${views}/${view}`, {
    // This module's field errors name their own translation keys ("admin.…"); the shared ones are under "validation.".
    errorText: (error: FieldError) => request.t(error.rule.includes('.') ? error.rule : `validation.${error.rule}`, error.params ?? {}),
    organizationName: (organization: OrganizationNames) =>
      language === 'kk' ? organization.nameKk : language === 'en' && organization.nameEn ? organization.nameEn : organization.nameRu,
    formatDate,
    dayReason: (day: DayDescription) => dayReasonText(request, day, formatDate),
    errors: [],
    ...data,
  });
}

function dayReasonText(request: FastifyRequest, day: DayDescription, formatDate: (date: CalendarDate) => string): string {
  const reason = day.reason;
  switch (reason.kind) {
    case 'holiday':
      return reason.holiday.name[request.language];
    case 'moved_day_off':
      return request.t('admin.calendar.reason_moved_day_off', { holiday: reason.holiday.name[request.language] });
    case 'transferred_day_off':
      return request.t('admin.calendar.reason_transferred_day_off', { date: formatDate(reason.transfer.workday) });
    case 'transferred_workday':
      return request.t('admin.calendar.reason_transferred_workday', { date: formatDate(reason.transfer.dayOff) });
    case 'weekend':
      return request.t('admin.calendar.reason_weekend');
    case 'weekday':
      return request.t('admin.calendar.reason_weekday');
  }
}
