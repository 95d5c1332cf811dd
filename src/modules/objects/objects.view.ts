/**
 * How the objects' pages name things: labels of passport fields, values in the reader's language,
 * error messages, stage names, and the passport as rows by section. Used by every page that shows
 * an object (its own pages, the object page, the review case).
 */
import type { FastifyRequest } from 'fastify';
import type { Language } from '../../config.ts';
import type { FieldError } from '../../errors.ts';
import { dayFormat, numberFormatOf } from '../../web/i18n.ts';
import type { ObjectDetail } from './objects.service.ts';
import type { OrganizationRef } from '../organizations/organizations.repository.ts';
import {
  diffPassports,
  FUNDING_SOURCES,
  ICT_SERVICE_TYPES,
  INFRASTRUCTURE_SUBKINDS,
  OBJECT_KINDS,
  OFF_PLATFORM_GROUNDS,
  PLACEMENT_TYPES,
} from './passport.ts';
import { COUNT_FIELDS, DATE_KEYS, FORM_GROUPS, isGroup, type PassportForm } from './passport-form.ts';
import { UPDATE_DUTY_WORKING_DAYS } from './update-duty.ts';

// ---------------------------------------------------------------------------------------------
// Texts: labels, values, messages

/** The top-level passport fields in the order of the form's fieldsets. */
const PASSPORT_SECTIONS = [
  { id: 'identity', fields: ['kind', 'infrastructure_subkind', 'service_type', 'class', 'name', 'purpose'] },
  { id: 'ownership', fields: ['owner_organization_id', 'possessor'] },
  { id: 'placement', fields: ['placement', 'funding', 'source_code'] },
  { id: 'use', fields: ['users', 'usage', 'automated_functions'] },
  { id: 'integrations', fields: ['integrations'] },
  { id: 'contacts', fields: ['contacts'] },
  { id: 'certificate', fields: ['security_certificate'] },
] as const;

/** Enumerated passport values and where their names are translated. */
const VALUE_NAMES: Record<string, string> = {
  kind: 'objects.kinds',
  infrastructure_subkind: 'objects.subkinds',
  service_type: 'objects.service_types',
  placement_type: 'objects.placement_types',
  placement_exception_ground: 'objects.off_platform_grounds',
  funding: 'objects.funding',
  automated_functions_type: 'objects.function_types',
  integrations_type: 'objects.integration_types',
};

/** 'contacts.0.phone' → 'contacts_phone': the key of a field's label and kind of value. */
function fieldKey(path: string): string {
  return path
    .split('.')
    .filter((part) => !/^\d+$/.test(part))
    .join('_');
}

/** Rules whose message is this module's (objects.validation.<rule>); the others are shared (validation.<rule>). */
const MODULE_RULES = new Set([
  'not_applicable',
  'active_exceeds_registered',
  'before_issue_date',
  'unknown_organization',
  'unknown_object',
  'self_reference',
  'bin_invalid',
  'possessor_one_of',
  'calendar_year_missing',
  'contacts_required',
  'too_many',
  'choose',
  'class1_placement',
  'whole_number',
  'count_range',
  'date',
  'phone',
  'object_id',
]);
/** Move refusals (lifecycle.ts MoveRefusalCode), also used for the other days of the forms. */
const REFUSAL_RULES = new Set(['object_terminated', 'not_commissioned', 'move_not_available', 'document_missing', 'date_invalid', 'date_in_future', 'date_before_previous_move']);

export interface Texts {
  t: FastifyRequest['t'];
  lang: Language;
  formatDate: (day: string) => string;
  organizationName: (organization: OrganizationRef) => string;
  objectName: (name: { kk: string; ru: string }) => string;
  /** Objects have names in Kazakh and Russian only; English readers get the Russian one. */
  nameLang: 'kk' | 'ru';
  fieldLabel: (name: string) => string;
  passportLabel: (path: string) => string;
  displayValue: (path: string, value: unknown, organizations?: Record<string, OrganizationRef>, objects?: Record<string, { kk: string; ru: string }>) => string;
  errorText: (error: FieldError) => string;
  summaryText: (error: FieldError) => string;
  stateLabel: (state: { stage: string; step: string | null }) => string;
}

/** A schema keyword as the message a person reads for that field. */
function formRule(name: string, rule: string, classValue: string): string {
  switch (rule) {
    case 'enum':
      // 004 §13: class 1 only on the e-government ICT platform or infrastructure.
      return name === 'placement.type' && classValue === '1' ? 'class1_placement' : 'choose';
    case 'type':
      return COUNT_FIELDS.has(name) ? 'whole_number' : 'choose';
    case 'minimum':
    case 'maximum':
      return 'count_range';
    case 'minItems':
      return name === 'contacts' ? 'contacts_required' : rule;
    case 'maxItems':
      return 'too_many';
    case 'pattern':
      return name.endsWith('.phone') ? 'phone' : rule;
    case 'format':
      return name.endsWith('email') ? 'email' : name.endsWith('object_id') ? 'object_id' : 'date';
    default:
      return rule;
  }
}

export function textsFor(request: FastifyRequest, form?: PassportForm): Texts {
  const t = request.t;
  const lang = request.language;
  const dateFormat = dayFormat(lang);
  const numberFormat = numberFormatOf(lang);
  const formatDate = (day: string) => (/^\d{4}-\d{2}-\d{2}$/.test(day) ? dateFormat.format(new Date(`${day}T00:00:00Z`)) : day);
  const organizationName = (o: OrganizationRef) => (lang === 'kk' ? o.nameKk : lang === 'en' && o.nameEn ? o.nameEn : o.nameRu);
  const nameLang = lang === 'kk' ? 'kk' : 'ru';
  const objectName = (name: { kk: string; ru: string }) => name[nameLang];

  const passportLabel = (path: string): string => {
    const parts = path.split('.');
    const [group, index, ...rest] = parts;
    if (group && isGroup(group) && index !== undefined && /^\d+$/.test(index)) {
      const item = t(`objects.fields.item.${group}`, { n: Number(index) + 1 });
      return rest.length === 0 ? item : t('objects.fields.item_field', { item, field: t(`objects.fields.${fieldKey(path)}`) });
    }
    return t(`objects.fields.${fieldKey(path)}`);
  };
  const FORM_LABELS: Record<string, string> = {
    informationChangedOn: 'objects.form.information_changed_on',
    expectedVersion: 'objects.form.expected_version',
    move: 'objects.moves_form.move',
    occurredOn: 'objects.moves_form.occurred_on',
    description: 'objects.report_form.description',
    detectedOn: 'objects.report_form.detected_on',
  };
  const fieldLabel = (name: string): string => {
    const key = FORM_LABELS[name];
    if (key) return t(key);
    return passportLabel(name.startsWith('passport.') ? name.slice('passport.'.length) : name);
  };

  const displayValue = (path: string, value: unknown, organizations: Record<string, OrganizationRef> = {}, objects: Record<string, { kk: string; ru: string }> = {}): string => {
    if (value === undefined || value === null) return t('objects.values.absent');
    const key = fieldKey(path);
    const names = VALUE_NAMES[key];
    if (names && typeof value === 'string') return t(`${names}.${value}`);
    if (typeof value === 'boolean') return t(value ? 'objects.values.yes' : 'objects.values.no');
    if ((key === 'owner_organization_id' || key === 'possessor_organization_id') && typeof value === 'string') {
      const organization = organizations[value];
      return organization ? t('objects.values.organization', { name: organizationName(organization), bin: organization.bin }) : value;
    }
    if (key === 'integrations_object_id' && typeof value === 'string') {
      const object = objects[value];
      return object ? t('objects.values.registered_object', { name: objectName(object), id: value }) : value;
    }
    if (DATE_KEYS.has(key) && typeof value === 'string') return formatDate(value);
    if (typeof value === 'number') return numberFormat.format(value);
    if (Array.isArray(value) && value.length === 0) return t('objects.values.empty_list');
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  };

  /** The translation of a field error, its parameters made readable. */
  const errorText = (error: FieldError): string => {
    const params: Record<string, string | number> = { ...(error.params ?? {}) };
    if (typeof params.limit === 'string') params.limit = formatDate(params.limit);
    if (typeof params.documentKind === 'string') params.document = t(`objects.document_kinds.${params.documentKind}`);
    const name = error.field.startsWith('passport.') ? error.field.slice('passport.'.length) : error.field;
    const rule = formRule(name, error.rule, form?.values['passport.class'] ?? '');
    if (REFUSAL_RULES.has(rule)) return t(`objects.refusals.${rule}`, params);
    if (MODULE_RULES.has(rule)) return t(`objects.validation.${rule}`, params);
    return t(`validation.${rule === 'email' || rule === 'required' || rule === 'too_long' ? rule : 'invalid'}`, params);
  };
  const summaryText = (error: FieldError): string => t('objects.form.summary_item', { field: fieldLabel(error.field), message: errorText(error) });
  const stateLabel = (state: { stage: string; step: string | null }): string =>
    state.step === null ? t(`objects.stages.${state.stage}`) : t('objects.state_with_step', { stage: t(`objects.stages.${state.stage}`), step: t(`objects.steps.${state.step}`) });

  return { t, lang, formatDate, organizationName, objectName, nameLang, fieldLabel, passportLabel, displayValue, errorText, summaryText, stateLabel };
}

/** The passport as rows of label and value, by section, in the order of the schema. */
export function passportSections(passport: unknown): Array<{ id: string; rows: Array<{ path: string; value: unknown }> }> {
  const leaves = diffPassports(undefined, passport);
  return PASSPORT_SECTIONS.map((section) => ({
    id: section.id,
    rows: leaves.filter((leaf) => (section.fields as readonly string[]).includes(leaf.path.split('.')[0]!)).map((leaf) => ({ path: leaf.path, value: leaf.after })),
  }));
}

export interface PassportFormOptions {
  /** The object edited; absent for a new one. */
  object?: ObjectDetail;
  errors?: FieldError[];
  /** Someone else saved since the version this form was opened on (409). */
  conflict?: { baseVersion: number; currentVersion: number; changedFields: string[] };
}

/** What the passport form's template shows: the values as typed, their errors, and the choices of each list. */
export function passportFormModel(request: FastifyRequest, form: PassportForm, options: PassportFormOptions = {}) {
  return {
    ...textsFor(request, form),
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
  };
}
