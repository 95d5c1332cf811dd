/**
 * The passport form as posted and shown: flat fields named as the service names its errors, so an
 * error lands on its field without translation: "passport.<path>" (repeatable groups
 * "passport.contacts.<i>.phone"), "informationChangedOn", "expectedVersion". The other submit
 * buttons — add=<group>, remove=<group>.<i> — change the rows without saving. Pure: no I/O.
 */
import type { FieldError } from '../../errors.ts';
import { normalizeEmailAddress, normalizeKazakhPhone } from '../users/contacts.ts';
import { normalizeBinInput, validateBin } from '../organizations/bin-iin.ts';
import type { ObjectPassport } from './passport.ts';
import type { OrganizationRef } from '../organizations/organizations.repository.ts';


/** The repeatable groups of the passport, their fields, and how many rows the schema allows. */
export const FORM_GROUPS = {
  contacts: { fields: ['full_name', 'position', 'phone', 'email'], min: 1, max: 20 },
  automated_functions: { fields: ['type', 'name'], min: 0, max: 1000 },
  integrations: { fields: ['type', 'object_id', 'name', 'owner', 'location', 'requirements', 'rules'], min: 0, max: 500 },
} as const;
export type FormGroup = keyof typeof FORM_GROUPS;
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

export const COUNT_FIELDS = new Set(['users.registered', 'users.active', 'usage.state_bodies', 'usage.sites']);
export const DATE_KEYS = new Set(['source_code_transferred_on', 'security_certificate_issued_on', 'security_certificate_valid_until']);
const MAX_FIELD_CHARS = 10_000;

/** The form exactly as typed: values by field name, and the number of rows of each group. */
export interface PassportForm {
  values: Record<string, string>;
  counts: Record<FormGroup, number>;
}

export type FormIntent = { kind: 'save' } | { kind: 'add'; group: FormGroup } | { kind: 'remove'; group: FormGroup; index: number };

function text(value: unknown): string {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.slice(0, MAX_FIELD_CHARS) : '';
}

export function isGroup(value: string): value is FormGroup {
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

export function emptyPassportForm(today: string): PassportForm {
  const values: Record<string, string> = Object.fromEntries(SCALAR_FIELDS.map((field) => [`passport.${field}`, '']));
  values.informationChangedOn = today;
  return withRows({ values, counts: { contacts: 0, automated_functions: 0, integrations: 0 } }, 'contacts', [{}]);
}

const ROW_KEY = /^passport\.([a-z_]+)\.(\d{1,4})\.([a-z_]+)$/;

/** The posted form as typed and which button sent it. Rows are renumbered 0, 1, … in their order. */
export function readPassportForm(body: unknown): { form: PassportForm; intent: FormIntent } {
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
export function applyFormIntent(form: PassportForm, intent: FormIntent): PassportForm {
  if (intent.kind === 'save') return form;
  const rows = rowsOf(form, intent.group);
  if (intent.kind === 'add' && rows.length < FORM_GROUPS[intent.group].max) return withRows(form, intent.group, [...rows, {}]);
  if (intent.kind === 'remove' && intent.index < rows.length && rows.length > FORM_GROUPS[intent.group].min) {
    return withRows(form, intent.group, rows.filter((_, index) => index !== intent.index));
  }
  return form;
}

/** Rows of the optional groups left entirely empty are not part of what is saved. */
export function withoutEmptyOptionalRows(form: PassportForm): PassportForm {
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
export function passportFromForm(form: PassportForm, possessorOrganizationId: string | null): Record<string, unknown> {
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
export function formFromPassport(passport: ObjectPassport, organizations: Record<string, OrganizationRef>, today: string, version: number): PassportForm {
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

export const POSSESSOR_BIN_FIELD = 'passport.possessor.bin';

/**
 * The BIN typed for the possessor (003 §4.1), checked: null when none was typed or it is not a
 * valid BIN; a name typed as well is an error of its own. Whether an organization is registered
 * with it is for the caller to look up.
 */
export function possessorBin(form: PassportForm): { bin: string | null; errors: FieldError[] } {
  const raw = (form.values[POSSESSOR_BIN_FIELD] ?? '').trim();
  if (raw === '') return { bin: null, errors: [] };
  const errors: FieldError[] = [];
  if ((form.values['passport.possessor.name'] ?? '').trim() !== '') errors.push({ field: 'passport.possessor.name', rule: 'possessor_one_of' });
  const bin = validateBin(normalizeBinInput(raw));
  if (!bin.ok) return { bin: null, errors: [...errors, { field: POSSESSOR_BIN_FIELD, rule: 'bin_invalid' }] };
  return { bin: bin.value, errors };
}

/** The service names the possessor by organization id; the form by BIN. */
export function onFormFields(errors: FieldError[]): FieldError[] {
  return errors.map((error) => (error.field === 'passport.possessor.organization_id' ? { ...error, field: 'passport.possessor.bin' } : error));
}

/** One error per field, the first found. */
export function firstPerField(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((error) => (seen.has(error.field) ? false : (seen.add(error.field), true)));
}
