/**
 * How the auditors' pages name things: actions, kinds, actors and values in the reader's language.
 */
import type { FastifyRequest } from 'fastify';
import type { FieldError } from '../../errors.ts';
import { formatDateTime } from '../../web/i18n.ts';
import type { AuditFilterInput } from './auditing.service.ts';

export interface AuditTexts {
  t: FastifyRequest['t'];
  lang: FastifyRequest['language'];
  formatDateTime: (value: Date) => string;
  errorText: (error: FieldError) => string;
  actionLabel: (action: string) => string;
  actorText: (event: { actorName: string | null; actorEmail: string | null; actorLabel: string | null; actorUserId: string | null }) => string;
  objectName: (object: { nameKk: string; nameRu: string }) => string;
}

export function auditTexts(request: FastifyRequest): AuditTexts {
  const t = request.t;
  const lang = request.language;
  const actionLabel = (action: string): string => {
    const key = `auditing.actions.${action.replace('.', '__')}`;
    const label = t(key);
    // An action this page has no name for (one a later module adds) shows as recorded, never as a key.
    return label === key ? action : label;
  };
  return {
    t,
    lang,
    formatDateTime: (value: Date) => formatDateTime(lang, value),
    errorText: (error: FieldError) => t(`auditing.validation.${error.rule}`, error.params ?? {}),
    actionLabel,
    actorText: (event) => {
      if (event.actorName) return event.actorEmail ? `${event.actorName} (${event.actorEmail})` : event.actorName;
      if (event.actorLabel) return t('auditing.system_actor', { label: event.actorLabel });
      return event.actorUserId ?? '';
    },
    objectName: (object) => (lang === 'kk' ? object.nameKk : object.nameRu),
  };
}

/** One line saying what an event did: its action's name, and the detail a reader looks for first. */
export function eventSummary(texts: AuditTexts, event: { action: string; after: unknown }): string {
  const after = typeof event.after === 'object' && event.after !== null ? (event.after as Record<string, unknown>) : {};
  const label = texts.actionLabel(event.action);
  const detail =
    typeof after.accountCode === 'string'
      ? after.accountCode
      : typeof after.number === 'string'
        ? after.number
        : typeof after.status === 'string'
          ? texts.t(`auditing.statuses.${after.status}`)
          : typeof after.move === 'string'
            ? texts.t(`objects.moves.${after.move}`)
            : typeof after.version === 'number'
              ? texts.t('auditing.version', { n: after.version })
              : '';
  return detail && !detail.startsWith('auditing.') ? `${label}: ${detail}` : label;
}

/** The query string of the viewer's filters (and a cursor), as its GET form would send them. */
export function filterQueryString(values: AuditFilterInput, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (typeof value === 'string' && value.trim() !== '') params.set(name, value.trim());
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
