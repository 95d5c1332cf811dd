/**
 * The object passport: the information recorded about an informatization object on the portal
 * (003 §5, Annex 1; 001 §4–5, Annex 2; 004 §5, §11, §13–14, §25). Its shape and the cross-field
 * rules JSON Schema can express live in schemas/object-passport.schema.json; this module holds the
 * matching type, the rules the schema cannot express, what completeness needs per lifecycle stage,
 * and the field-by-field comparison of two versions.
 */
import type { FieldError } from '../../errors.ts';
import { schemaValidator, toFieldErrors } from '../../schema-registry.ts';
import type { LifecycleStage } from './lifecycle.ts';

// ---------------------------------------------------------------------------------------------
// The passport (kept equal to the schema's enums by tests/unit/passport.test.ts)

/** 003 §4.4; 004 §3.13, §3.16, §25. */
export const OBJECT_KINDS = [
  'state_electronic_information_resource',
  'state_body_software',
  'state_body_internet_resource',
  'ict_infrastructure',
  'platform_software_product',
  'ict_service',
] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export function isObjectKind(value: unknown): value is ObjectKind {
  return typeof value === 'string' && (OBJECT_KINDS as readonly string[]).includes(value);
}

/** 001 §3.3. */
export const INFRASTRUCTURE_SUBKINDS = [
  'information_system',
  'technology_platform',
  'hardware_software_complex',
  'telecommunication_network',
  'uninterrupted_operation_system',
  'information_security_system',
] as const;
export type InfrastructureSubkind = (typeof INFRASTRUCTURE_SUBKINDS)[number];

/** 004 §25. */
export const ICT_SERVICE_TYPES = ['infrastructure', 'software_or_platform_product', 'technology_platform'] as const;
export type IctServiceType = (typeof ICT_SERVICE_TYPES)[number];

/** 004 §13. */
export const PLACEMENT_TYPES = ['egov_ict_platform', 'egov_ict_infrastructure', 'other_provider'] as const;
export type PlacementType = (typeof PLACEMENT_TYPES)[number];

/** 004 §14, sub-clauses 1)–3), in order. */
export const OFF_PLATFORM_GROUNDS = ['development_of_off_platform_object', 'platform_unfeasible', 'similar_in_trusted_register'] as const;
export type OffPlatformGround = (typeof OFF_PLATFORM_GROUNDS)[number];

/** 004 §5. */
export const FUNDING_SOURCES = ['state_investment_project', 'own_funds'] as const;
export type FundingSource = (typeof FUNDING_SOURCES)[number];

export type ObjectClass = 1 | 2 | 3;

export interface BilingualText {
  kk: string;
  ru: string;
}

export interface Placement {
  type: PlacementType;
  /** Only for `other_provider`: the organization providing the ICT infrastructure. */
  provider_name?: string;
  /** Required off the e-government ICT platform (004 §14), absent on it. */
  exception?: { ground: OffPlatformGround; explanation: string };
}

export type Integration =
  | { type: 'registered_object'; object_id: string }
  | { type: 'external_system'; name: string; owner: string; location: string; requirements?: string; rules: string };

export interface ResponsibleContact {
  full_name: string;
  position: string;
  /** +7 and ten digits. */
  phone: string;
  email: string;
}

export interface ObjectPassport {
  kind: ObjectKind;
  /** Required for, and only for, `ict_infrastructure`. */
  infrastructure_subkind?: InfrastructureSubkind;
  /** Required for, and only for, `ict_service`. */
  service_type?: IctServiceType;
  /** Class 1 only on the e-government ICT platform or infrastructure (004 §13). */
  class: ObjectClass;
  name: { full: BilingualText; short?: Partial<BilingualText> };
  purpose: BilingualText;
  owner_organization_id: string;
  /** Exactly one of the two. */
  possessor?: { organization_id: string } | { name: string };
  placement: Placement;
  funding: FundingSource;
  /** 004 §11; `transferred_on` present exactly when transferred. */
  source_code?: { transferred: boolean; transferred_on?: string };
  users?: { registered: number; active: number };
  usage?: { state_bodies: number; sites: number };
  automated_functions?: Array<{ type: 'e_service' | 'state_function'; name: string }>;
  integrations?: Integration[];
  contacts: ResponsibleContact[];
  security_certificate?: { number: string; issued_on: string; issuer: string; valid_until: string };
}

// ---------------------------------------------------------------------------------------------
// Validation

const SCHEMA_FILE = 'object-passport.schema.json';

export type PassportValidation = { ok: true; passport: ObjectPassport } | { ok: false; errors: FieldError[] };

/**
 * Checks a passport against the schema and the rules the schema cannot express. Rules are the
 * schema keywords, except: text that is blank is `required`; a field that must be absent for the
 * object's kind or choices is `not_applicable`; a text over its limit is `too_long` (params.max).
 */
export function validatePassport(data: unknown): PassportValidation {
  const validate = schemaValidator<ObjectPassport>(SCHEMA_FILE);
  const valid = validate(data);
  const ajvErrors = validate.errors ?? [];
  const errors: FieldError[] = [];
  toFieldErrors(ajvErrors).forEach((error, index) => {
    const source = ajvErrors[index];
    // An "if" error only repeats that its "then" failed; the "then" error names the field.
    if (!source || source.keyword === 'if') return;
    if (source.keyword === 'not') errors.push({ field: error.field, rule: 'not_applicable' });
    else if (source.keyword === 'pattern' && (source.params as { pattern: string }).pattern === '\\S') errors.push({ field: error.field, rule: 'required' });
    else if (source.keyword === 'maxLength') errors.push({ field: error.field, rule: 'too_long', params: { max: (source.params as { limit: number }).limit } });
    else errors.push(error);
  });
  errors.push(...crossFieldErrors(data));
  return valid && errors.length === 0 ? { ok: true, passport: data as ObjectPassport } : { ok: false, errors };
}

/** Comparisons between fields, which JSON Schema draft-07 cannot make. */
function crossFieldErrors(data: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const users = at(data, 'users');
  const registered = at(users, 'registered');
  const active = at(users, 'active');
  // Active users are among the registered ones (001 Annex 3 item 3.1).
  if (typeof registered === 'number' && typeof active === 'number' && active > registered) {
    errors.push({ field: 'users.active', rule: 'active_exceeds_registered' });
  }
  const certificate = at(data, 'security_certificate');
  const issuedOn = at(certificate, 'issued_on');
  const validUntil = at(certificate, 'valid_until');
  if (typeof issuedOn === 'string' && typeof validUntil === 'string' && validUntil < issuedOn) {
    errors.push({ field: 'security_certificate.valid_until', rule: 'before_issue_date' });
  }
  return errors;
}

function at(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Completeness

/**
 * Passport fields completeness needs (Workflow C; 004 §18), as dotted paths.
 *
 * Every stage: what identifies and places the object — kind (with its sub-kind or service type),
 * class (004 §13), full names in both official languages, purpose (001 Annex 2 item 1.2), owner
 * (item 1.4), placement (004 §13–14), funding (004 §5), responsible contacts (item 1.3).
 * From commissioning on (industrial operation, and development, during which the object stays in
 * operation, 004 §3.1): users (001 §4.2, §5.3), state bodies and sites using it (001 §5.5), the
 * e-services or state functions it automates (001 §4.3, §5.4), and whether the source code was
 * handed over (004 §11).
 *
 * Decided where the seeds are silent: short names, the possessor, integrations (001 Annex 2
 * item 5: "при наличии") and the certificate (001 §5.6 asks for it only when applying to the
 * operator's list) are never required; an internet resource reports no state bodies and sites
 * (001 §4 asks only 001 §5 objects for them); source code is not asked of a state electronic
 * information resource (data, not software) nor of an ICT service (004 §35: its rights are not
 * transferred). A terminated object is read-only (004 §19), so nothing more can be required.
 */
export function requiredFieldsForStage(kind: ObjectKind | null, stage: LifecycleStage): string[] {
  if (stage === 'termination') return [];
  const fields = ['kind'];
  if (kind === 'ict_infrastructure') fields.push('infrastructure_subkind');
  if (kind === 'ict_service') fields.push('service_type');
  fields.push(
    'class',
    'name.full.kk',
    'name.full.ru',
    'purpose.kk',
    'purpose.ru',
    'owner_organization_id',
    'placement.type',
    'funding',
    'contacts',
  );
  if (stage === 'creation') return fields;
  fields.push('users.registered', 'users.active');
  if (kind !== 'state_body_internet_resource') fields.push('usage.state_bodies', 'usage.sites');
  fields.push('automated_functions');
  if (kind !== 'state_electronic_information_resource' && kind !== 'ict_service') fields.push('source_code.transferred');
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Comparing versions

export interface PassportChange {
  /** Dotted path of the changed value, as in field errors: 'contacts.0.phone'. */
  path: string;
  /** undefined when the value was absent. */
  before: unknown;
  /** undefined when the value is absent. */
  after: unknown;
}

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/**
 * The changes from `before` to `after`, one per changed value: objects are compared key by key
 * and arrays position by position, so an added contact shows as its fields appearing. Ordered as
 * the schema lists the fields (then any unknown keys alphabetically) and by array position, so
 * the same two versions always give the same list, whatever order their keys were stored in.
 */
export function diffPassports(before: unknown, after: unknown): PassportChange[] {
  const changes: PassportChange[] = [];
  compare(before, after, '', schemaValidator(SCHEMA_FILE).schema as SchemaNode, changes);
  return changes;
}

type Container = Record<string, unknown> | unknown[];

function containerKind(value: unknown): 'object' | 'array' | null {
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' && value !== null ? 'object' : null;
}

function compare(before: unknown, after: unknown, path: string, schema: SchemaNode | undefined, changes: PassportChange[]): void {
  const kind = containerKind(before) ?? containerKind(after);
  const comparable =
    kind !== null &&
    (before === undefined || containerKind(before) === kind) &&
    (after === undefined || containerKind(after) === kind);
  if (!comparable) {
    if (before !== after) changes.push({ path, before, after });
    return;
  }
  const beforeContainer = before as Container | undefined;
  const afterContainer = after as Container | undefined;
  const found = changes.length;
  if (kind === 'array') {
    const beforeItems = (beforeContainer ?? []) as unknown[];
    const afterItems = (afterContainer ?? []) as unknown[];
    for (let index = 0; index < Math.max(beforeItems.length, afterItems.length); index++) {
      compare(beforeItems[index], afterItems[index], join(path, String(index)), schema?.items, changes);
    }
  } else {
    const beforeFields = (beforeContainer ?? {}) as Record<string, unknown>;
    const afterFields = (afterContainer ?? {}) as Record<string, unknown>;
    for (const key of orderedKeys([...Object.keys(beforeFields), ...Object.keys(afterFields)], schema)) {
      compare(beforeFields[key], afterFields[key], join(path, key), schema?.properties?.[key], changes);
    }
  }
  // An empty list or object appearing or disappearing has no values inside to report.
  if (changes.length === found && (before === undefined) !== (after === undefined)) changes.push({ path, before, after });
}

function orderedKeys(keys: string[], schema: SchemaNode | undefined): string[] {
  const present = new Set(keys);
  const known = Object.keys(schema?.properties ?? {}).filter((key) => present.has(key));
  const knownSet = new Set(known);
  const unknown = [...present].filter((key) => !knownSet.has(key)).sort();
  return [...known, ...unknown];
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
