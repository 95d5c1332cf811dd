import { describe, expect, it } from 'vitest';
import {
  FUNDING_SOURCES,
  ICT_SERVICE_TYPES,
  INFRASTRUCTURE_SUBKINDS,
  OBJECT_KINDS,
  OFF_PLATFORM_GROUNDS,
  PLACEMENT_TYPES,
  diffPassports,
  requiredFieldsForStage,
  validatePassport,
  type ObjectPassport,
} from '../../src/modules/objects/passport.ts';
import { schemaValidator } from '../../src/schema-registry.ts';

const OWNER = '7d3e4a0c-52a1-4f0e-9a51-3c1b9e0f2a11';
const OTHER_OBJECT = 'c1f0a2b3-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/** The smallest valid passport: a class 2 software of a state body on the e-government platform. */
function minimal(): ObjectPassport {
  return {
    kind: 'state_body_software',
    class: 2,
    name: { full: { kk: 'Құжат айналымы жүйесі', ru: 'Система документооборота' } },
    purpose: { kk: 'Құжаттарды тіркеу', ru: 'Регистрация документов' },
    owner_organization_id: OWNER,
    placement: { type: 'egov_ict_platform' },
    funding: 'own_funds',
    contacts: [{ full_name: 'Ахметов Арман Серікұлы', position: 'Бас сарапшы', phone: '+77011234567', email: 'a.akhmetov@example.kz' }],
  };
}

/** Every field filled. */
function full(): ObjectPassport {
  return {
    kind: 'ict_infrastructure',
    infrastructure_subkind: 'information_system',
    class: 2,
    name: { full: { kk: 'Ақпараттық жүйе', ru: 'Информационная система' }, short: { kk: 'АЖ', ru: 'ИС' } },
    purpose: { kk: 'Мемлекеттік қызметтер', ru: 'Государственные услуги' },
    owner_organization_id: OWNER,
    possessor: { name: 'АО «Оператор»' },
    placement: {
      type: 'other_provider',
      provider_name: 'ТОО «Дата-центр»',
      exception: { ground: 'development_of_off_platform_object', explanation: 'Создана в 2015 году вне платформы' },
    },
    funding: 'state_investment_project',
    source_code: { transferred: true, transferred_on: '2024-03-01' },
    users: { registered: 5000, active: 3200 },
    usage: { state_bodies: 4, sites: 17 },
    automated_functions: [
      { type: 'e_service', name: 'Выдача справки о регистрации' },
      { type: 'state_function', name: 'Ведение реестра' },
    ],
    integrations: [
      { type: 'registered_object', object_id: OTHER_OBJECT },
      { type: 'external_system', name: 'ГБД ФЛ', owner: 'МЦРИАП', location: 'Астана', requirements: 'ШЭП', rules: 'Регламент от 01.02.2024' },
    ],
    contacts: [
      { full_name: 'Ахметов Арман', position: 'Бас сарапшы', phone: '+77011234567', email: 'a.akhmetov@example.kz' },
      { full_name: 'Иванова Мария', position: 'Руководитель', phone: '+77172000000', email: 'ivanova@example.kz' },
    ],
    security_certificate: { number: 'АТ-123', issued_on: '2024-02-01', issuer: 'ГТС', valid_until: '2027-02-01' },
  };
}

const errorsOf = (data: unknown) => {
  const result = validatePassport(data);
  return result.ok ? [] : result.errors;
};

describe('valid passports', () => {
  const kindSpecific: Record<(typeof OBJECT_KINDS)[number], Partial<ObjectPassport>> = {
    state_electronic_information_resource: { kind: 'state_electronic_information_resource' },
    state_body_software: { kind: 'state_body_software' },
    state_body_internet_resource: { kind: 'state_body_internet_resource' },
    ict_infrastructure: { kind: 'ict_infrastructure', infrastructure_subkind: 'telecommunication_network' },
    platform_software_product: { kind: 'platform_software_product' },
    ict_service: { kind: 'ict_service', service_type: 'software_or_platform_product' },
  };

  it.each(OBJECT_KINDS)('a minimal %s passes', (kind) => {
    const passport = { ...minimal(), ...kindSpecific[kind] };
    expect(validatePassport(passport)).toEqual({ ok: true, passport });
  });

  it.each(INFRASTRUCTURE_SUBKINDS)('an ICT-infrastructure object of sub-kind %s passes', (infrastructure_subkind) => {
    expect(errorsOf({ ...minimal(), kind: 'ict_infrastructure', infrastructure_subkind })).toEqual([]);
  });

  it.each(ICT_SERVICE_TYPES)('an ICT service of type %s passes', (service_type) => {
    expect(errorsOf({ ...minimal(), kind: 'ict_service', service_type })).toEqual([]);
  });

  it('a passport with every field filled passes', () => {
    expect(errorsOf(full())).toEqual([]);
  });

  it.each(OFF_PLATFORM_GROUNDS)('placement off the platform on ground %s passes', (ground) => {
    const placement = { type: 'egov_ict_infrastructure', exception: { ground, explanation: 'Обоснование' } };
    expect(errorsOf({ ...minimal(), class: 1, placement })).toEqual([]);
  });

  it('a possessor may be a registered organization', () => {
    expect(errorsOf({ ...minimal(), possessor: { organization_id: OTHER_OBJECT } })).toEqual([]);
  });

  it('source code not transferred has no date', () => {
    expect(errorsOf({ ...minimal(), source_code: { transferred: false } })).toEqual([]);
  });
});

describe('cross-field rules', () => {
  describe('class 1 only on the e-government platform or infrastructure (004 §13)', () => {
    it('refuses class 1 at another provider, on placement.type', () => {
      const placement = { type: 'other_provider', provider_name: 'ТОО «ЦОД»', exception: { ground: 'platform_unfeasible', explanation: 'Дорого' } };
      expect(errorsOf({ ...minimal(), class: 1, placement })).toEqual([{ field: 'placement.type', rule: 'enum' }]);
    });

    it.each([2, 3])('allows class %i there', (objectClass) => {
      const placement = { type: 'other_provider', provider_name: 'ТОО «ЦОД»', exception: { ground: 'platform_unfeasible', explanation: 'Дорого' } };
      expect(errorsOf({ ...minimal(), class: objectClass, placement })).toEqual([]);
    });

    it('allows class 1 on the platform', () => {
      expect(errorsOf({ ...minimal(), class: 1 })).toEqual([]);
    });

    it('refuses a class that is not 1, 2 or 3', () => {
      expect(errorsOf({ ...minimal(), class: 4 })).toEqual([{ field: 'class', rule: 'enum' }]);
    });
  });

  describe('a 004 §14 exception off the platform', () => {
    it.each(['egov_ict_infrastructure', 'other_provider'])('is required for %s', (type) => {
      const placement = type === 'other_provider' ? { type, provider_name: 'ТОО «ЦОД»' } : { type };
      expect(errorsOf({ ...minimal(), placement })).toEqual([{ field: 'placement.exception', rule: 'required' }]);
    });

    it('is not applicable on the platform', () => {
      const placement = { type: 'egov_ict_platform', exception: { ground: 'platform_unfeasible', explanation: 'x' } };
      expect(errorsOf({ ...minimal(), placement })).toEqual([{ field: 'placement.exception', rule: 'not_applicable' }]);
    });

    it('names one of the §14 grounds and explains it', () => {
      const placement = { type: 'egov_ict_infrastructure', exception: { ground: 'cheaper', explanation: '   ' } };
      expect(errorsOf({ ...minimal(), placement })).toEqual([
        { field: 'placement.exception.ground', rule: 'enum' },
        { field: 'placement.exception.explanation', rule: 'required' },
      ]);
    });
  });

  describe('another provider is named', () => {
    it('when the placement is another provider', () => {
      const placement = { type: 'other_provider', exception: { ground: 'platform_unfeasible', explanation: 'x' } };
      expect(errorsOf({ ...minimal(), placement })).toEqual([{ field: 'placement.provider_name', rule: 'required' }]);
    });

    it('and only then', () => {
      const placement = { type: 'egov_ict_platform', provider_name: 'ТОО «ЦОД»' };
      expect(errorsOf({ ...minimal(), placement })).toEqual([{ field: 'placement.provider_name', rule: 'not_applicable' }]);
    });
  });

  describe('the ICT-infrastructure sub-kind', () => {
    it('is required for ICT infrastructure', () => {
      expect(errorsOf({ ...minimal(), kind: 'ict_infrastructure' })).toEqual([{ field: 'infrastructure_subkind', rule: 'required' }]);
    });

    it('is not applicable to other kinds', () => {
      expect(errorsOf({ ...minimal(), infrastructure_subkind: 'information_system' })).toEqual([
        { field: 'infrastructure_subkind', rule: 'not_applicable' },
      ]);
    });

    it('is one of the six sub-kinds', () => {
      expect(errorsOf({ ...minimal(), kind: 'ict_infrastructure', infrastructure_subkind: 'server' })).toEqual([
        { field: 'infrastructure_subkind', rule: 'enum' },
      ]);
    });
  });

  describe('the ICT service type', () => {
    it('is required for an ICT service', () => {
      expect(errorsOf({ ...minimal(), kind: 'ict_service' })).toEqual([{ field: 'service_type', rule: 'required' }]);
    });

    it('is not applicable to other kinds', () => {
      expect(errorsOf({ ...minimal(), service_type: 'infrastructure' })).toEqual([{ field: 'service_type', rule: 'not_applicable' }]);
    });
  });

  describe('source code transfer (004 §11)', () => {
    it('needs its date when transferred', () => {
      expect(errorsOf({ ...minimal(), source_code: { transferred: true } })).toEqual([{ field: 'source_code.transferred_on', rule: 'required' }]);
    });

    it('has no date when not transferred', () => {
      expect(errorsOf({ ...minimal(), source_code: { transferred: false, transferred_on: '2024-01-01' } })).toEqual([
        { field: 'source_code.transferred_on', rule: 'not_applicable' },
      ]);
    });

    it('takes a real date', () => {
      expect(errorsOf({ ...minimal(), source_code: { transferred: true, transferred_on: '2025-02-29' } })).toEqual([
        { field: 'source_code.transferred_on', rule: 'format' },
      ]);
    });
  });

  describe('integrations', () => {
    it('a registered object is referred to by its id only', () => {
      expect(errorsOf({ ...minimal(), integrations: [{ type: 'registered_object', name: 'ГБД ФЛ' }] })).toEqual([
        { field: 'integrations.0.object_id', rule: 'required' },
        { field: 'integrations.0.name', rule: 'not_applicable' },
      ]);
    });

    it('an external system names its owner, location and rules', () => {
      const integrations = [
        { type: 'registered_object', object_id: OTHER_OBJECT },
        { type: 'external_system', name: 'ГБД ФЛ', location: 'Астана', object_id: OTHER_OBJECT },
      ];
      expect(errorsOf({ ...minimal(), integrations })).toEqual([
        { field: 'integrations.1.owner', rule: 'required' },
        { field: 'integrations.1.rules', rule: 'required' },
        { field: 'integrations.1.object_id', rule: 'not_applicable' },
      ]);
    });
  });

  describe('the possessor', () => {
    it('is an organization or a name, not both', () => {
      expect(errorsOf({ ...minimal(), possessor: { organization_id: OTHER_OBJECT, name: 'АО' } })).toEqual([{ field: 'possessor', rule: 'maxProperties' }]);
    });

    it('is not empty', () => {
      expect(errorsOf({ ...minimal(), possessor: {} })).toEqual([{ field: 'possessor', rule: 'minProperties' }]);
    });
  });

  describe('rules the schema cannot express', () => {
    it('active users are among the registered ones', () => {
      expect(errorsOf({ ...minimal(), users: { registered: 10, active: 11 } })).toEqual([{ field: 'users.active', rule: 'active_exceeds_registered' }]);
      expect(errorsOf({ ...minimal(), users: { registered: 10, active: 10 } })).toEqual([]);
    });

    it('a certificate is valid until a day after its issue', () => {
      const security_certificate = { number: '1', issued_on: '2024-05-01', issuer: 'ГТС', valid_until: '2024-04-30' };
      expect(errorsOf({ ...minimal(), security_certificate })).toEqual([{ field: 'security_certificate.valid_until', rule: 'before_issue_date' }]);
    });
  });
});

describe('field rules', () => {
  it('requires the fields every passport has, naming each', () => {
    expect(errorsOf({ kind: 'state_body_software' })).toEqual(
      ['class', 'name', 'purpose', 'owner_organization_id', 'placement', 'funding', 'contacts'].map((field) => ({ field, rule: 'required' })),
    );
  });

  it('treats blank text as missing', () => {
    expect(errorsOf({ ...minimal(), name: { full: { kk: ' \n', ru: 'Система' } } })).toEqual([{ field: 'name.full.kk', rule: 'required' }]);
  });

  it('limits text length, saying the limit', () => {
    expect(errorsOf({ ...minimal(), name: { full: { kk: 'а'.repeat(1001), ru: 'Система' } } })).toEqual([
      { field: 'name.full.kk', rule: 'too_long', params: { max: 1000 } },
    ]);
  });

  it('checks contacts: at least one, phone +7 and ten digits, e-mail', () => {
    expect(errorsOf({ ...minimal(), contacts: [] })).toEqual([{ field: 'contacts', rule: 'minItems' }]);
    const contact = { full_name: 'Ахметов', position: 'Эксперт', phone: '87011234567', email: 'not-an-email' };
    expect(errorsOf({ ...minimal(), contacts: [contact] })).toEqual([
      { field: 'contacts.0.phone', rule: 'pattern' },
      { field: 'contacts.0.email', rule: 'format' },
    ]);
  });

  it('refuses unknown fields, at any depth', () => {
    expect(errorsOf({ ...minimal(), colour: 'blue', purpose: { kk: 'a', ru: 'b', en: 'c' } })).toEqual([
      { field: '', rule: 'additionalProperties' },
      { field: 'purpose', rule: 'additionalProperties' },
    ]);
  });

  it('refuses negative and fractional counts', () => {
    expect(errorsOf({ ...minimal(), usage: { state_bodies: -1, sites: 1.5 } })).toEqual([
      { field: 'usage.state_bodies', rule: 'minimum' },
      { field: 'usage.sites', rule: 'type' },
    ]);
  });

  it('refuses what is not an object', () => {
    expect(errorsOf(null)).toEqual([{ field: '', rule: 'type' }]);
  });

  it('the TypeScript constants are the schema enums', () => {
    const schema = schemaValidator('object-passport.schema.json').schema as {
      properties: Record<string, { enum?: unknown[]; properties?: Record<string, { enum?: unknown[]; properties?: Record<string, { enum?: unknown[] }> }> }>;
    };
    const p = schema.properties;
    expect(p.kind?.enum).toEqual([...OBJECT_KINDS]);
    expect(p.infrastructure_subkind?.enum).toEqual([...INFRASTRUCTURE_SUBKINDS]);
    expect(p.service_type?.enum).toEqual([...ICT_SERVICE_TYPES]);
    expect(p.funding?.enum).toEqual([...FUNDING_SOURCES]);
    expect(p.placement?.properties?.type?.enum).toEqual([...PLACEMENT_TYPES]);
    expect(p.placement?.properties?.exception?.properties?.ground?.enum).toEqual([...OFF_PLATFORM_GROUNDS]);
  });
});

describe('requiredFieldsForStage', () => {
  const base = ['class', 'name.full.kk', 'name.full.ru', 'purpose.kk', 'purpose.ru', 'owner_organization_id', 'placement.type', 'funding', 'contacts'];
  const operation = ['users.registered', 'users.active', 'usage.state_bodies', 'usage.sites', 'automated_functions', 'source_code.transferred'];

  it('in creation: what identifies and places the object', () => {
    expect(requiredFieldsForStage('state_body_software', 'creation')).toEqual(['kind', ...base]);
  });

  it('adds the sub-kind or the service type', () => {
    expect(requiredFieldsForStage('ict_infrastructure', 'creation')).toEqual(['kind', 'infrastructure_subkind', ...base]);
    expect(requiredFieldsForStage('ict_service', 'creation')).toEqual(['kind', 'service_type', ...base]);
  });

  it.each(['industrial_operation', 'development'] as const)('in %s: also users, usage, automated functions and source code', (stage) => {
    expect(requiredFieldsForStage('state_body_software', stage)).toEqual(['kind', ...base, ...operation]);
  });

  it('asks no source code of data resources and ICT services, and no usage of internet resources', () => {
    const noCode = operation.filter((f) => f !== 'source_code.transferred');
    expect(requiredFieldsForStage('state_electronic_information_resource', 'industrial_operation')).toEqual(['kind', ...base, ...noCode]);
    expect(requiredFieldsForStage('ict_service', 'industrial_operation')).toEqual(['kind', 'service_type', ...base, ...noCode]);
    expect(requiredFieldsForStage('state_body_internet_resource', 'industrial_operation')).toEqual([
      'kind',
      ...base,
      ...operation.filter((f) => !f.startsWith('usage.')),
    ]);
  });

  it('asks nothing of a terminated, read-only object', () => {
    expect(requiredFieldsForStage('state_body_software', 'termination')).toEqual([]);
  });

  it('with an unknown kind, asks the common fields', () => {
    expect(requiredFieldsForStage(null, 'creation')).toEqual(['kind', ...base]);
  });

  it.each(OBJECT_KINDS)('names only fields a valid %s passport can fill', (kind) => {
    const { infrastructure_subkind: _subkind, ...common } = full();
    const passport = {
      ...common,
      kind,
      ...(kind === 'ict_infrastructure' ? { infrastructure_subkind: 'hardware_software_complex' } : {}),
      ...(kind === 'ict_service' ? { service_type: 'technology_platform' } : {}),
    };
    expect(errorsOf(passport)).toEqual([]);
    for (const field of requiredFieldsForStage(kind, 'industrial_operation')) {
      const value = field.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown>)[key], passport);
      expect(value, field).not.toBeUndefined();
    }
  });
});

describe('diffPassports', () => {
  it('finds nothing between equal versions', () => {
    expect(diffPassports(full(), full())).toEqual([]);
  });

  it('reports a changed value by its dotted path', () => {
    const after = full();
    after.name.full.ru = 'Информационная система «Е-Реестр»';
    after.class = 3;
    expect(diffPassports(full(), after)).toEqual([
      { path: 'class', before: 2, after: 3 },
      { path: 'name.full.ru', before: 'Информационная система', after: 'Информационная система «Е-Реестр»' },
    ]);
  });

  it('lists changes in the schema order, whatever order the keys were stored in', () => {
    const before = minimal();
    const after = { ...minimal(), funding: 'state_investment_project', kind: 'ict_service', service_type: 'infrastructure' };
    const reversed = Object.fromEntries(Object.entries(after).reverse());
    const expected = [
      { path: 'kind', before: 'state_body_software', after: 'ict_service' },
      { path: 'service_type', before: undefined, after: 'infrastructure' },
      { path: 'funding', before: 'own_funds', after: 'state_investment_project' },
    ];
    expect(diffPassports(before, after)).toEqual(expected);
    expect(diffPassports(before, reversed)).toEqual(expected);
  });

  it('shows an added optional section as its fields appearing, and a removed one as them disappearing', () => {
    const before = minimal();
    const after = { ...minimal(), users: { active: 7, registered: 9 } };
    expect(diffPassports(before, after)).toEqual([
      { path: 'users.registered', before: undefined, after: 9 },
      { path: 'users.active', before: undefined, after: 7 },
    ]);
    expect(diffPassports(after, before)).toEqual([
      { path: 'users.registered', before: 9, after: undefined },
      { path: 'users.active', before: 7, after: undefined },
    ]);
  });

  it('compares lists position by position', () => {
    const before = full();
    const after = full();
    after.contacts = [after.contacts[1]!, after.contacts[0]!];
    expect(diffPassports(before, after).map((change) => change.path)).toEqual([
      'contacts.0.full_name',
      'contacts.0.position',
      'contacts.0.phone',
      'contacts.0.email',
      'contacts.1.full_name',
      'contacts.1.position',
      'contacts.1.phone',
      'contacts.1.email',
    ]);
  });

  it('shows an added list item as its fields appearing', () => {
    const before = minimal();
    const after = minimal();
    after.contacts.push({ full_name: 'Иванова Мария', position: 'Руководитель', phone: '+77172000000', email: 'ivanova@example.kz' });
    expect(diffPassports(before, after)).toEqual([
      { path: 'contacts.1.full_name', before: undefined, after: 'Иванова Мария' },
      { path: 'contacts.1.position', before: undefined, after: 'Руководитель' },
      { path: 'contacts.1.phone', before: undefined, after: '+77172000000' },
      { path: 'contacts.1.email', before: undefined, after: 'ivanova@example.kz' },
    ]);
  });

  it('compares an integration that changed its type field by field', () => {
    const before = full();
    const after = full();
    after.integrations = [{ type: 'external_system', name: 'ЕНИС', owner: 'МФ', location: 'Астана', rules: 'Регламент' }, after.integrations![1]!];
    expect(diffPassports(before, after)).toEqual([
      { path: 'integrations.0.type', before: 'registered_object', after: 'external_system' },
      { path: 'integrations.0.object_id', before: OTHER_OBJECT, after: undefined },
      { path: 'integrations.0.name', before: undefined, after: 'ЕНИС' },
      { path: 'integrations.0.owner', before: undefined, after: 'МФ' },
      { path: 'integrations.0.location', before: undefined, after: 'Астана' },
      { path: 'integrations.0.rules', before: undefined, after: 'Регламент' },
    ]);
  });

  it('reports an empty list appearing', () => {
    expect(diffPassports(minimal(), { ...minimal(), integrations: [] })).toEqual([{ path: 'integrations', before: undefined, after: [] }]);
  });

  it('reports a value whose type changed as a whole', () => {
    expect(diffPassports({ ...minimal(), possessor: 'АО' }, { ...minimal(), possessor: { name: 'АО' } })).toEqual([
      { path: 'possessor', before: 'АО', after: { name: 'АО' } },
    ]);
  });

  it('orders fields the schema does not know alphabetically after the known ones', () => {
    expect(diffPassports({ zeta: 1, alpha: 1, kind: 'a' }, { zeta: 2, alpha: 2, kind: 'b' })).toEqual([
      { path: 'kind', before: 'a', after: 'b' },
      { path: 'alpha', before: 1, after: 2 },
      { path: 'zeta', before: 1, after: 2 },
    ]);
  });
});
