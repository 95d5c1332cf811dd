/**
 * The objects' pages: the passport form (new and edit), the object page with its lifecycle,
 * duties, required documents and derived facts, the field-by-field comparison of two versions,
 * and the list of update duties. Every page calls the service; nothing here writes to the database.
 *
 * The passport form posts flat fields named as the service names its errors, so an error lands on
 * its field without translation: "passport.<path>" (repeatable groups "passport.contacts.<i>.phone"),
 * "informationChangedOn", "expectedVersion"; the move form "move", "occurredOn"; the report form
 * "description", "detectedOn". The other submit buttons of the passport form — add=<group>,
 * remove=<group>.<i> — re-render it as typed, without saving.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Language } from '../../config.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { dayFormat, numberFormatOf } from '../../web/i18n.ts';
import { normalizeEmailAddress, normalizeKazakhPhone } from '../accounts/account-requests.schemas.ts';
import { type AuthUser, can } from '../auth/permissions.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { normalizeBinInput, validateBin } from '../organizations/bin-iin.ts';
import { listObjectDocuments } from '../documents/documents.service.ts';
import { commentsByTarget, getObjectReview } from '../reviews/reviews.service.ts';
import { documentTexts } from '../documents/documents.web.ts';
import { MOVES, stateKey } from './lifecycle.ts';
import {
  FUNDING_SOURCES,
  ICT_SERVICE_TYPES,
  INFRASTRUCTURE_SUBKINDS,
  OBJECT_KINDS,
  OFF_PLATFORM_GROUNDS,
  type ObjectPassport,
  PLACEMENT_TYPES,
  diffPassports,
} from './passport.ts';
import {
  compareObjectVersions,
  createObject,
  DUTY_STATUS_FILTERS,
  type DutyStatusFilter,
  findObjectInputErrors,
  findOrganizationByBin,
  getObject,
  listDuties,
  listDutyOrganizations,
  listObjectVersions,
  type ObjectDetail,
  objectPageStamp,
  type OrganizationRef,
  recordLifecycleMove,
  reportOutdatedInformation,
  REPORT_DESCRIPTION_MAX,
  UPDATE_DUTY_WORKING_DAYS,
  updateObject,
} from './objects.service.ts';
import { fieldErrors, parseParams } from '../../web/route-helpers.ts';

const views = '/modules/objects/views';
const read = { access: { permission: 'objects.read' } } as const;
const edit = { access: { permission: 'objects.edit' } } as const;
const report = { access: { permission: 'objects.report_outdated' } } as const;

// ---------------------------------------------------------------------------------------------
// The passport form

/** The repeatable groups of the passport, their fields, and how many rows the schema allows. */
const FORM_GROUPS = {
  contacts: { fields: ['full_name', 'position', 'phone', 'email'], min: 1, max: 20 },
  automated_functions: { fields: ['type', 'name'], min: 0, max: 1000 },
  integrations: { fields: ['type', 'object_id', 'name', 'owner', 'location', 'requirements', 'rules'], min: 0, max: 500 },
} as const;
type FormGroup = keyof typeof FORM_GROUPS;
const GROUP_NAMES = Object.keys(FORM_GROUPS) as FormGroup[];

/**
 * The single-valued fields of the form, as passport paths. The possessor (003 §4.1) is typed as
 * the BIN of a registered organization or the name of another: possessor.bin stands for
 * possessor.organization_id.
 */
const SCALAR_FIELDS = [
  'kind',
  'infrastructure_subkind',
  'service_type',
  'class',
  'name.full.kk',
  'name.full.ru',
  'name.short.kk',
  'name.short.ru',
  'purpose.kk',
  'purpose.ru',
  'possessor.bin',
  'possessor.name',
  'placement.type',
  'placement.provider_name',
  'placement.exception.ground',
  'placement.exception.explanation',
  'funding',
  'source_code.transferred',
  'source_code.transferred_on',
  'users.registered',
  'users.active',
  'usage.state_bodies',
  'usage.sites',
  'security_certificate.number',
  'security_certificate.issued_on',
  'security_certificate.issuer',
  'security_certificate.valid_until',
] as const;

const COUNT_FIELDS = new Set(['users.registered', 'users.active', 'usage.state_bodies', 'usage.sites']);
const DATE_KEYS = new Set(['source_code_transferred_on', 'security_certificate_issued_on', 'security_certificate_valid_until']);
const MAX_FIELD_CHARS = 10_000;

/** The form exactly as typed: values by field name, and the number of rows of each group. */
interface PassportForm {
  values: Record<string, string>;
  counts: Record<FormGroup, number>;
}

type FormIntent = { kind: 'save' } | { kind: 'add'; group: FormGroup } | { kind: 'remove'; group: FormGroup; index: number };

function text(value: unknown): string {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.slice(0, MAX_FIELD_CHARS) : '';
}

function isGroup(value: string): value is FormGroup {
  return (GROUP_NAMES as string[]).includes(value);
}

function rowField(group: FormGroup, index: number, field: string): string {
  return `passport.${group}.${index}.${field}`;
}

function emptyRow(form: PassportForm, group: FormGroup, index: number): boolean {
  return FORM_GROUPS[group].fields.every((field) => (form.values[rowField(group, index, field)] ?? '').trim() === '');
}

function withRows(form: PassportForm, group: FormGroup, rows: Array<Record<string, string>>): PassportForm {
  const values = Object.fromEntries(Object.entries(form.values).filter(([name]) => !name.startsWith(`passport.${group}.`)));
  rows.forEach((row, index) => {
    for (const field of FORM_GROUPS[group].fields) values[rowField(group, index, field)] = row[field] ?? '';
  });
  return { values, counts: { ...form.counts, [group]: rows.length } };
}

function rowsOf(form: PassportForm, group: FormGroup): Array<Record<string, string>> {
  return Array.from({ length: form.counts[group] }, (_, index) =>
    Object.fromEntries(FORM_GROUPS[group].fields.map((field) => [field, form.values[rowField(group, index, field)] ?? ''])),
  );
}

function emptyPassportForm(today: string): PassportForm {
  const values: Record<string, string> = Object.fromEntries(SCALAR_FIELDS.map((field) => [`passport.${field}`, '']));
  values.informationChangedOn = today;
  return withRows({ values, counts: { contacts: 0, automated_functions: 0, integrations: 0 } }, 'contacts', [{}]);
}

const ROW_KEY = /^passport\.([a-z_]+)\.(\d{1,4})\.([a-z_]+)$/;

/** The posted form as typed and which button sent it. Rows are renumbered 0, 1, … in their order. */
function readPassportForm(body: unknown): { form: PassportForm; intent: FormIntent } {
  const source = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const values: Record<string, string> = {};
  for (const field of SCALAR_FIELDS) values[`passport.${field}`] = text(source[`passport.${field}`]);
  values.informationChangedOn = text(source.informationChangedOn);
  values.expectedVersion = text(source.expectedVersion);
  let form: PassportForm = { values, counts: { contacts: 0, automated_functions: 0, integrations: 0 } };
  for (const group of GROUP_NAMES) {
    const rows = new Map<number, Record<string, string>>();
    for (const [key, value] of Object.entries(source)) {
      const match = ROW_KEY.exec(key);
      if (!match || match[1] !== group || !(FORM_GROUPS[group].fields as readonly string[]).includes(match[3]!)) continue;
      const index = Number(match[2]);
      rows.set(index, { ...rows.get(index), [match[3]!]: text(value) });
    }
    const ordered = [...rows.entries()].sort(([a], [b]) => a - b).map(([, row]) => row).slice(0, FORM_GROUPS[group].max);
    form = withRows(form, group, ordered);
  }
  const add = text(source.add);
  const remove = /^([a-z_]+)\.(\d{1,4})$/.exec(text(source.remove));
  let intent: FormIntent = { kind: 'save' };
  if (remove && isGroup(remove[1]!)) intent = { kind: 'remove', group: remove[1], index: Number(remove[2]) };
  else if (isGroup(add)) intent = { kind: 'add', group: add };
  return { form, intent };
}

/** "Add" and "remove" keep every other character typed; a group keeps at least its minimum rows. */
function applyFormIntent(form: PassportForm, intent: FormIntent): PassportForm {
  if (intent.kind === 'save') return form;
  const rows = rowsOf(form, intent.group);
  if (intent.kind === 'add' && rows.length < FORM_GROUPS[intent.group].max) return withRows(form, intent.group, [...rows, {}]);
  if (intent.kind === 'remove' && intent.index < rows.length && rows.length > FORM_GROUPS[intent.group].min) {
    return withRows(form, intent.group, rows.filter((_, index) => index !== intent.index));
  }
  return form;
}

/** Rows of the optional groups left entirely empty are not part of what is saved. */
function withoutEmptyOptionalRows(form: PassportForm): PassportForm {
  let result = form;
  for (const group of GROUP_NAMES) {
    if (FORM_GROUPS[group].min > 0) continue;
    const rows = rowsOf(result, group).filter((_, index) => !emptyRow(result, group, index));
    result = withRows(result, group, rows);
  }
  return result;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** A count as typed: a whole number when it is one, else the text (the schema names the error). */
function countValue(raw: string): unknown {
  return /^\d{1,12}$/.test(raw) ? Number(raw) : raw;
}

function scalarValue(field: string, raw: string): unknown {
  if (field === 'class') return /^[123]$/.test(raw) ? Number(raw) : raw;
  if (COUNT_FIELDS.has(field)) return countValue(raw);
  if (field === 'source_code.transferred') return raw === 'yes' ? true : raw === 'no' ? false : raw;
  return raw;
}

/**
 * The passport the form describes: text trimmed, blank fields left out, numbers and yes/no as
 * such, phones as +7…, e-mails in lower case. The required parts (names, purpose, placement) are
 * always present so that a blank one is reported on its own field.
 */
function passportFromForm(form: PassportForm, possessorOrganizationId: string | null): Record<string, unknown> {
  const passport: Record<string, unknown> = { name: { full: {} }, purpose: {}, placement: {} };
  for (const field of SCALAR_FIELDS) {
    if (field === 'possessor.bin') continue;
    const raw = (form.values[`passport.${field}`] ?? '').trim();
    if (raw !== '') setPath(passport, field, scalarValue(field, raw));
  }
  if (possessorOrganizationId !== null) setPath(passport, 'possessor.organization_id', possessorOrganizationId);
  for (const group of GROUP_NAMES) {
    const rows = rowsOf(form, group).map((row) => {
      const item: Record<string, unknown> = {};
      for (const field of FORM_GROUPS[group].fields) {
        const raw = (row[field] ?? '').trim();
        if (raw === '') continue;
        if (group === 'contacts' && field === 'phone') item[field] = normalizeKazakhPhone(raw) ?? raw;
        else if (group === 'contacts' && field === 'email') item[field] = normalizeEmailAddress(raw);
        else item[field] = raw;
      }
      return item;
    });
    if (rows.length > 0 || group === 'contacts') passport[group] = rows;
  }
  return passport;
}

/** The form filled from a saved passport, for editing. */
function formFromPassport(passport: ObjectPassport, organizations: Record<string, OrganizationRef>, today: string, version: number): PassportForm {
  const values: Record<string, string> = {};
  const leaf = (path: string): unknown => path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), passport);
  for (const field of SCALAR_FIELDS) {
    const value = leaf(field);
    values[`passport.${field}`] =
      value === undefined ? '' : field === 'source_code.transferred' ? (value ? 'yes' : 'no') : String(value);
  }
  const possessor = passport.possessor && 'organization_id' in passport.possessor ? passport.possessor.organization_id : null;
  values['passport.possessor.bin'] = possessor ? (organizations[possessor]?.bin ?? '') : '';
  values.informationChangedOn = today;
  values.expectedVersion = String(version);
  let form: PassportForm = { values, counts: { contacts: 0, automated_functions: 0, integrations: 0 } };
  for (const group of GROUP_NAMES) {
    const items = (passport[group] ?? []) as Array<Record<string, unknown>>;
    form = withRows(form, group, items.map((item) => Object.fromEntries(Object.entries(item).map(([key, value]) => [key, String(value)]))));
  }
  if (form.counts.contacts === 0) form = withRows(form, 'contacts', [{}]);
  return form;
}

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

/** The service names the possessor by organization id; the form by BIN. */
function onFormFields(errors: FieldError[]): FieldError[] {
  return errors.map((error) => (error.field === 'passport.possessor.organization_id' ? { ...error, field: 'passport.possessor.bin' } : error));
}

/** One error per field, the first found. */
function firstPerField(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((error) => (seen.has(error.field) ? false : (seen.add(error.field), true)));
}

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

// ---------------------------------------------------------------------------------------------
// Routes

const idParams = z.object({ id: z.guid() });
const versionParams = z.object({ id: z.guid(), from: z.coerce.number().int().min(1).max(1_000_000), to: z.coerce.number().int().min(1).max(1_000_000) });
const moveForm = z.object({ move: z.string().default(''), occurredOn: z.string().default('') });
const reportForm = z.object({ description: z.string().default(''), detectedOn: z.string().default('') });
const dutiesQuery = z.object({
  status: z.enum(DUTY_STATUS_FILTERS).catch('open'),
  organization: z.guid().optional().catch(undefined),
  cursor: z.string().max(500).optional().catch(undefined),
});

function conflict(error: unknown): { reason: string; currentVersion?: number } | null {
  if (!(error instanceof AppError) || error.code !== 'CONFLICT') return null;
  return error.details as { reason: string; currentVersion?: number };
}

function today(): string {
  return toAlmatyDate(new Date());
}

function user(request: FastifyRequest): AuthUser {
  if (!request.user) throw new AppError('UNAUTHENTICATED');
  return request.user;
}

export default async function objectsWeb(fastify: FastifyInstance): Promise<void> {
  const { db, pageCache } = fastify.deps;

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

  /**
   * The object's page. Shown plain (not again with a form's errors), its body comes from the page
   * cache while nothing it shows has changed: the stamp is read first, so a page rendered while a
   * change commits is kept under the older stamp.
   */
  async function renderObject(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    extra: { errors?: FieldError[]; moveValues?: Record<string, string>; reportValues?: Record<string, string> } = {},
  ): Promise<FastifyReply> {
    const actor = user(request);
    // One instant for the key and the page: deadlines are computed for the day the key names.
    const now = new Date();
    const day = toAlmatyDate(now);
    const plain = extra.errors === undefined && extra.moveValues === undefined && extra.reportValues === undefined;
    const key = plain ? `object|${id}|${await objectPageStamp(db, actor, id, request.session.objectPage)}|${request.language}|${actor.role}|${day}` : null;
    const cached = key === null ? undefined : pageCache.get(key);
    if (cached) return reply.renderPage(cached.title, cached.body);

    const object = await getObject(db, actor, id, { now });
    const versions = await listObjectVersions(db, actor, id);
    const documents = await listObjectDocuments(db, actor, id, object);
    const review = await getObjectReview(db, actor, id, { now }, object);
    const texts = textsFor(request);
    const page = {
      title: texts.objectName({ kk: object.passport.name.full.kk, ru: object.passport.name.full.ru }),
      body: reply.renderFragment(`${views}/detail-body`, {
        ...texts,
        documents,
        documentTexts: documentTexts(request),
        review,
        reviewComments: commentsByTarget(review),
        object,
        versions,
        sections: passportSections(object.passport),
        moveNeeds: Object.fromEntries(object.availableMoves.map((move) => [move, MOVES[move].requiredDocumentKinds])),
        stateKey: stateKey(object.state),
        errors: extra.errors ?? [],
        moveValues: extra.moveValues ?? { move: object.availableMoves[0] ?? '', occurredOn: day },
        reportValues: extra.reportValues ?? { description: '', detectedOn: day },
        reportMax: REPORT_DESCRIPTION_MAX,
        workingDays: UPDATE_DUTY_WORKING_DAYS,
      }),
    };
    if (key !== null) pageCache.set(key, page);
    return reply.renderPage(page.title, page.body);
  }

  /** The possessor's errors together with every other error the service finds in the form. */
  async function allErrors(request: FastifyRequest, form: PassportForm, passport: Record<string, unknown>, possessorErrors: FieldError[], objectId?: string): Promise<FieldError[]> {
    const others = await findObjectInputErrors(db, request.user, { passport, informationChangedOn: (form.values.informationChangedOn ?? '').trim() }, objectId ? { objectId } : {});
    return firstPerField([...possessorErrors, ...onFormFields(others)]);
  }

  fastify.get('/objects/new', { config: edit }, async (request, reply) => renderForm(request, reply, emptyPassportForm(today())));

  fastify.post('/objects', { config: edit }, async (request, reply) => {
    const actor = user(request);
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

  fastify.get('/objects/:id', { config: { ...read, readWithSession: { objectPage: 'id' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    return renderObject(request, reply, id);
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
      const refused = conflict(error);
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

  fastify.post('/objects/:id/moves', { config: edit }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const values = moveForm.parse(request.body ?? {});
    try {
      await recordLifecycleMove(db, request.user, id, values, { requestId: request.id });
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return renderObject(request, reply.status(422), id, { errors, moveValues: values });
    }
    request.session.flash = 'objects.flash.moved';
    return reply.redirect(`/objects/${id}#lifecycle`, 303);
  });

  fastify.post('/objects/:id/reports', { config: report }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const values = reportForm.parse(request.body ?? {});
    try {
      await reportOutdatedInformation(db, request.user, id, values, { requestId: request.id });
    } catch (error) {
      const errors = fieldErrors(error);
      if (errors) return renderObject(request, reply.status(422), id, { errors, reportValues: values });
      if (conflict(error)?.reason === 'object_terminated') {
        request.session.flash = 'objects.flash.read_only';
        return reply.redirect(`/objects/${id}`, 303);
      }
      throw error;
    }
    request.session.flash = 'objects.flash.reported';
    return reply.redirect(`/objects/${id}#duties`, 303);
  });

  fastify.get('/objects/:id/versions/:from/:to', { config: read }, async (request, reply) => {
    const { id, from, to } = parseParams(versionParams, request.params);
    const comparison = await compareObjectVersions(db, request.user, id, from, to);
    return reply.render(`${views}/diff`, { ...textsFor(request), comparison });
  });

  fastify.get('/duties', { config: read }, async (request, reply) => {
    const query = dutiesQuery.parse(request.query ?? {});
    const actor = user(request);
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
