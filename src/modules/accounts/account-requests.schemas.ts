/**
 * The account request form (003 §6, Annex 2): reading the posted fields, and turning them into a
 * checked, normalized request. Everything here is pure; the checks that need the database (an
 * e-mail already in use) are the service's.
 *
 * Field names, as the form posts them (application/x-www-form-urlencoded, flat keys):
 *   organization_name, organization_bin, organization_kind,
 *   contact_name, contact_email, contact_phone,
 *   people[<i>][division|surname|given_name|patronymic|position|iin|phone|email|purpose]
 *   add_person=1 or remove_person=<i>: the form's other submit buttons (re-render, nothing saved).
 * A field error names the field exactly as posted, e.g. "people[1][iin]".
 */
import { z } from 'zod';
import { ORGANIZATION_KINDS } from '../../db/database.ts';
import type { FieldError } from '../../errors.ts';
import { normalizeBinInput, validateBin, validateIin } from '../organizations/bin-iin.ts';
import { isEmailAddress, normalizeEmailAddress, normalizeKazakhPhone } from '../users/contacts.ts';

/** One request lists the people of one organization; a larger team sends several requests. */
export const MAX_PEOPLE = 20;

export const PERSON_FIELDS = ['division', 'surname', 'given_name', 'patronymic', 'position', 'iin', 'phone', 'email', 'purpose'] as const;
export type PersonField = (typeof PERSON_FIELDS)[number];
export type PersonFormValues = Record<PersonField, string>;

const REQUEST_FIELDS = ['organization_name', 'organization_bin', 'organization_kind', 'contact_name', 'contact_email', 'contact_phone'] as const;
type RequestField = (typeof REQUEST_FIELDS)[number];

/** The form exactly as typed (trimmed of nothing), for re-rendering. */
export type AccountRequestFormValues = Record<RequestField, string> & { people: PersonFormValues[] };

/** Which submit button was pressed. */
export type FormIntent = { kind: 'submit' } | { kind: 'add_person' } | { kind: 'remove_person'; index: number };

/**
 * Rules of this module's own field errors, translated under `accounts.validation.`; every other
 * rule (required, email, too_long, invalid) is a shared one under `validation.`.
 */
export const ACCOUNT_VALIDATION_RULES = new Set([
  'bin_format',
  'bin_check_digit',
  'bin_structure',
  'iin_format',
  'iin_check_digit',
  'iin_structure',
  'phone_kz',
  'email_taken',
  'email_repeated',
  'people_too_many',
]);

export function personFieldName(index: number, field: PersonField): string {
  return `people[${index}][${field}]`;
}

export function emptyPerson(): PersonFormValues {
  return Object.fromEntries(PERSON_FIELDS.map((field) => [field, ''])) as PersonFormValues;
}

export function emptyAccountRequestForm(): AccountRequestFormValues {
  return { ...(Object.fromEntries(REQUEST_FIELDS.map((field) => [field, ''])) as Record<RequestField, string>), people: [emptyPerson()] };
}

/**
 * The empty form with what a sign-in with ЭЦП learnt from a certificate whose IIN has no account:
 * the person's surname and given name and the organization's BIN (query parameters). Only
 * prefilled: the form is checked as typed when it is sent.
 */
export function prefilledAccountRequestForm(query: Record<string, unknown>): AccountRequestFormValues {
  const form = emptyAccountRequestForm();
  const given = (name: string) => text(query[name]).slice(0, 200).trim();
  form.organization_bin = given('bin');
  form.people[0] = { ...form.people[0]!, surname: given('surname'), given_name: given('given_name') };
  return form;
}

// ---------------------------------------------------------------------------------------------
// Reading the posted body

const PERSON_KEY = /^people\[(\d{1,3})\]\[([a-z_]+)\]$/;
const MAX_FIELD_CHARS = 5000;

/** A posted value as one string: a repeated key keeps its first value; anything else is ''. */
function text(value: unknown): string {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.slice(0, MAX_FIELD_CHARS) : '';
}

function isPersonField(name: string): name is PersonField {
  return (PERSON_FIELDS as readonly string[]).includes(name);
}

function personFrom(source: Record<string, unknown>): PersonFormValues {
  const person = emptyPerson();
  for (const field of PERSON_FIELDS) person[field] = text(source[field]);
  return person;
}

/**
 * The people rows of a posted form. @fastify/formbody leaves "people[0][surname]" as a flat key,
 * so the rows are gathered here by index, in index order (the numbers may have gaps after a row
 * was removed; rows are renumbered 0, 1, … on the next render). A JSON body may send `people` as
 * an array of objects instead.
 */
export function readPeople(body: Record<string, unknown>): PersonFormValues[] {
  if (Array.isArray(body.people)) {
    return body.people.slice(0, MAX_PEOPLE + 1).map((row) => personFrom(row !== null && typeof row === 'object' ? (row as Record<string, unknown>) : {}));
  }
  const rows = new Map<number, Record<string, unknown>>();
  for (const [key, value] of Object.entries(body)) {
    const match = PERSON_KEY.exec(key);
    if (!match || !isPersonField(match[2]!)) continue;
    const index = Number(match[1]);
    const row = rows.get(index) ?? {};
    row[match[2]!] = value;
    rows.set(index, row);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a - b)
    .slice(0, MAX_PEOPLE + 1)
    .map(([, row]) => personFrom(row));
}

function intentOf(body: Record<string, unknown>): FormIntent {
  const remove = text(body.remove_person);
  if (/^\d{1,3}$/.test(remove)) return { kind: 'remove_person', index: Number(remove) };
  if (text(body.add_person) !== '') return { kind: 'add_person' };
  return { kind: 'submit' };
}

/** The posted form as typed, and which button sent it. Never throws: unknown input reads as ''. */
export function readAccountRequestForm(body: unknown): { values: AccountRequestFormValues; intent: FormIntent } {
  const source = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const values = emptyAccountRequestForm();
  for (const field of REQUEST_FIELDS) values[field] = text(source[field]);
  const people = readPeople(source);
  values.people = people.length > 0 ? people : [emptyPerson()];
  return { values, intent: intentOf(source) };
}

/**
 * Applies "add a person" / "remove this person": the other rows keep every character typed.
 * The last remaining row is never removed, and no row is added beyond MAX_PEOPLE.
 */
export function applyFormIntent(values: AccountRequestFormValues, intent: FormIntent): AccountRequestFormValues {
  if (intent.kind === 'add_person' && values.people.length < MAX_PEOPLE) {
    return { ...values, people: [...values.people, emptyPerson()] };
  }
  if (intent.kind === 'remove_person' && values.people.length > 1 && intent.index < values.people.length) {
    return { ...values, people: values.people.filter((_, index) => index !== intent.index) };
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// The checked request

function requiredText(max: number) {
  return z.string().trim().min(1, 'required').max(max, 'too_long');
}

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, 'too_long')
    .transform((value) => (value === '' ? null : value));

const email = requiredText(254)
  .transform(normalizeEmailAddress)
  .refine(isEmailAddress, 'email');

const phone = requiredText(40).transform((value, ctx) => {
  const normalized = normalizeKazakhPhone(value);
  if (normalized === null) {
    ctx.addIssue({ code: 'custom', message: 'phone_kz' });
    return z.NEVER;
  }
  return normalized;
});

const bin = requiredText(40).transform((value, ctx) => {
  const result = validateBin(normalizeBinInput(value));
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: `bin_${result.reason}` });
    return z.NEVER;
  }
  return result.value;
});

const iin = requiredText(40).transform((value, ctx) => {
  const result = validateIin(normalizeBinInput(value));
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: `iin_${result.reason}` });
    return z.NEVER;
  }
  return result.value;
});

export const personSchema = z.object({
  division: requiredText(300),
  surname: requiredText(100),
  given_name: requiredText(100),
  patronymic: optionalText(100),
  position: requiredText(300),
  iin,
  phone,
  email,
  purpose: requiredText(2000),
});

export const accountRequestSchema = z.object({
  organization_name: requiredText(500),
  organization_bin: bin,
  organization_kind: z
    .string()
    .min(1, 'required')
    .pipe(z.enum(ORGANIZATION_KINDS, 'invalid')),
  contact_name: requiredText(300),
  contact_email: email,
  contact_phone: phone,
  people: z.array(personSchema).min(1, 'required').max(MAX_PEOPLE, 'people_too_many'),
});

export type AccountRequestInput = z.output<typeof accountRequestSchema>;
export type AccountRequestPersonInput = AccountRequestInput['people'][number];

/** ['people', 1, 'iin'] → "people[1][iin]": the name the form posts. */
function fieldName(path: ReadonlyArray<PropertyKey>): string {
  const [head, ...rest] = path.map(String);
  return (head ?? '') + rest.map((part) => `[${part}]`).join('');
}

function toFieldError(issue: z.core.$ZodIssue): FieldError {
  const field = fieldName(issue.path);
  if (issue.code === 'too_big' && issue.message === 'too_long') return { field, rule: 'too_long', params: { max: Number(issue.maximum) } };
  if (issue.code === 'too_big' && issue.message === 'people_too_many') return { field, rule: 'people_too_many', params: { max: MAX_PEOPLE } };
  return { field, rule: issue.message };
}

/** One error per field, the first found, in form order. */
export function dedupeFieldErrors(errors: readonly FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((error) => (seen.has(error.field) ? false : (seen.add(error.field), true)));
}

/**
 * Checks the form and returns the request ready to store (trimmed, BIN/IIN without spaces,
 * phones as +7…, e-mails in lower case), or a field error per invalid field. Also refuses the
 * same e-mail for two people of one request.
 */
export function parseAccountRequest(values: AccountRequestFormValues): { ok: true; input: AccountRequestInput } | { ok: false; errors: FieldError[] } {
  const result = accountRequestSchema.safeParse(values);
  const errors = result.success ? [] : result.error.issues.map(toFieldError);
  const seenEmails = new Map<string, number>();
  values.people.forEach((person, index) => {
    const address = normalizeEmailAddress(person.email);
    if (address === '') return;
    if (seenEmails.has(address)) errors.push({ field: personFieldName(index, 'email'), rule: 'email_repeated' });
    else seenEmails.set(address, index);
  });
  if (errors.length > 0 || !result.success) return { ok: false, errors: orderLikeForm(dedupeFieldErrors(errors)) };
  return { ok: true, input: result.data };
}

/** The error summary lists errors in the order of the fields on the page: organization, people, contact. */
export function orderLikeForm(errors: FieldError[]): FieldError[] {
  const rank = (field: string): number => {
    const person = PERSON_KEY.exec(field);
    if (person) return 1000 + Number(person[1]) * 100 + PERSON_FIELDS.indexOf(person[2] as PersonField);
    if (field === 'people') return 999;
    const index = (REQUEST_FIELDS as readonly string[]).indexOf(field);
    return field.startsWith('contact_') ? 100_000 + index : index;
  };
  return [...errors].sort((a, b) => rank(a.field) - rank(b.field));
}

// ---------------------------------------------------------------------------------------------
// Review

export const DECISIONS = ['approve', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];

export const decisionFormSchema = z.object({
  decision: z.enum(DECISIONS),
  reason: z.string().default(''),
});

export const QUEUE_STATUSES = ['open', 'closed', 'all'] as const;
export const QUEUE_SORTS = ['due_asc', 'due_desc', 'received_desc', 'received_asc'] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];
export type QueueSort = (typeof QUEUE_SORTS)[number];

/** The queue's filters from the query string; anything unknown falls back to the default. */
export const queueFiltersSchema = z.object({
  status: z.enum(QUEUE_STATUSES).catch('open'),
  overdue: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value) => value !== undefined && value !== '' && value !== '0')
    .catch(false),
  sort: z.enum(QUEUE_SORTS).catch('due_asc'),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});

export type QueueFilters = z.output<typeof queueFiltersSchema>;

export const idParams = z.object({ id: z.uuid() });
export const personParams = z.object({ id: z.uuid(), personId: z.uuid() });
export const numberParams = z.object({ number: z.string().regex(/^AR-\d{4}-\d{6,}$/) });
