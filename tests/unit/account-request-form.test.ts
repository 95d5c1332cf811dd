import { describe, expect, it } from 'vitest';
import {
  type AccountRequestFormValues,
  applyFormIntent,
  emptyPerson,
  MAX_PEOPLE,
  parseAccountRequest,
  type PersonFormValues,
  queueFiltersSchema,
  readAccountRequestForm,
} from '../../src/modules/accounts/account-requests.schemas.ts';
import { checkDigit } from '../../src/modules/organizations/bin-iin.ts';
import { isEmailAddress, normalizeKazakhPhone } from '../../src/modules/users/contacts.ts';

function withCheckDigit(first11: string): string {
  const digit = checkDigit(first11);
  if (digit === null) throw new Error(`no check digit for ${first11}`);
  return `${first11}${digit}`;
}

const BIN = '990340001230';
const IIN_A = withCheckDigit('85031530123');
const IIN_B = withCheckDigit('92112040456');

function person(overrides: Partial<PersonFormValues> = {}): PersonFormValues {
  return {
    division: 'Департамент цифровизации',
    surname: 'Абаев',
    given_name: 'Ерлан',
    patronymic: '',
    position: 'Главный эксперт',
    iin: IIN_A,
    phone: '8 701 123 45 67',
    email: 'E.Abayev@Gov.kz',
    purpose: 'Учет объектов информатизации',
    ...overrides,
  };
}

function form(overrides: Partial<AccountRequestFormValues> = {}): AccountRequestFormValues {
  return {
    organization_name: 'Министерство цифрового развития',
    organization_bin: BIN,
    organization_kind: 'central_state_body',
    contact_name: 'Сериков Данияр',
    contact_email: 'd.serikov@gov.kz',
    contact_phone: '+7 (7172) 74-00-00',
    people: [person()],
    ...overrides,
  };
}

describe('reading the posted form', () => {
  it('gathers people[i][field] flat keys into rows in index order, closing gaps', () => {
    const { values, intent } = readAccountRequestForm({
      organization_name: 'Org',
      'people[5][surname]': 'Second',
      'people[5][email]': 'second@gov.kz',
      'people[0][surname]': 'First',
      'people[0][given_name]': 'Aru',
      'people[0][unknown]': 'ignored',
      'people[x][surname]': 'ignored',
      other: 'ignored',
    });
    expect(intent).toEqual({ kind: 'submit' });
    expect(values.organization_name).toBe('Org');
    expect(values.organization_bin).toBe('');
    expect(values.people).toEqual([
      { ...emptyPerson(), surname: 'First', given_name: 'Aru' },
      { ...emptyPerson(), surname: 'Second', email: 'second@gov.kz' },
    ]);
  });

  it('keeps values exactly as typed (spaces included) for re-rendering', () => {
    const { values } = readAccountRequestForm({ organization_bin: ' 990 340 001 230 ', 'people[0][phone]': '8 (701) 123-45-67 ' });
    expect(values.organization_bin).toBe(' 990 340 001 230 ');
    expect(values.people[0]!.phone).toBe('8 (701) 123-45-67 ');
  });

  it('always has at least one person row, and takes the first of repeated keys', () => {
    expect(readAccountRequestForm({}).values.people).toEqual([emptyPerson()]);
    expect(readAccountRequestForm(null).values.people).toHaveLength(1);
    expect(readAccountRequestForm({ organization_name: ['a', 'b'] }).values.organization_name).toBe('a');
  });

  it('accepts people as an array of objects (JSON bodies)', () => {
    const { values } = readAccountRequestForm({ people: [{ surname: 'A' }, 'junk', { email: 'b@gov.kz' }] });
    expect(values.people.map((p) => [p.surname, p.email])).toEqual([['A', ''], ['', ''], ['', 'b@gov.kz']]);
  });

  it('recognizes the add and remove buttons', () => {
    expect(readAccountRequestForm({ add_person: '1' }).intent).toEqual({ kind: 'add_person' });
    expect(readAccountRequestForm({ remove_person: '2', add_person: '1' }).intent).toEqual({ kind: 'remove_person', index: 2 });
    expect(readAccountRequestForm({ remove_person: 'all', action: 'submit' }).intent).toEqual({ kind: 'submit' });
  });

  it('adds an empty row and removes exactly the chosen one, keeping the others as typed', () => {
    const values = form({ people: [person({ surname: 'A' }), person({ surname: 'B' }), person({ surname: 'C' })] });
    expect(applyFormIntent(values, { kind: 'add_person' }).people.map((p) => p.surname)).toEqual(['A', 'B', 'C', '']);
    const removed = applyFormIntent(values, { kind: 'remove_person', index: 1 });
    expect(removed.people).toEqual([values.people[0], values.people[2]]);
    expect(removed.organization_name).toBe(values.organization_name);
  });

  it('never removes the last row, and never adds beyond the limit', () => {
    const one = form();
    expect(applyFormIntent(one, { kind: 'remove_person', index: 0 }).people).toHaveLength(1);
    const full = form({ people: Array.from({ length: MAX_PEOPLE }, () => person()) });
    expect(applyFormIntent(full, { kind: 'add_person' }).people).toHaveLength(MAX_PEOPLE);
  });
});

describe('Kazakh phone numbers', () => {
  it.each(['8 701 123 45 67', '+7 (701) 123-45-67', '7011234567', '87011234567', '+77011234567', '77011234567', ' 8-701-123-45-67 '])(
    'normalizes %s to +77011234567',
    (raw) => expect(normalizeKazakhPhone(raw)).toBe('+77011234567'),
  );

  it('accepts landlines by their area code', () => {
    expect(normalizeKazakhPhone('8 (7172) 74-00-00')).toBe('+77172740000');
    expect(normalizeKazakhPhone('+7 727 123 45 67')).toBe('+77271234567');
  });

  it.each([
    ['Russian mobile', '+7 916 123 45 67'],
    ['Russian landline', '8 495 123 45 67'],
    ['Russian without prefix', '9161234567'],
    ['another country', '+998 71 123 45 67'],
    ['British', '+44 20 7946 0958'],
    ['too short', '8 701 123 45'],
    ['too long', '8 701 123 45 678'],
    ['letters', '8 701 CALL NOW'],
    ['plus 8', '+8 701 123 45 67'],
    ['empty', ''],
  ])('rejects a %s number', (_what, raw) => expect(normalizeKazakhPhone(raw)).toBeNull());
});

describe('e-mail syntax', () => {
  it.each(['a@gov.kz', 'first.last+tag@sub.gov.kz', 'info@пример.қаз', 'x@xn--e1afmkfd.xn--80ao21a'])('accepts %s', (value) => expect(isEmailAddress(value)).toBe(true));
  it.each(['plainaddress', 'a@b', '@gov.kz', 'a@@gov.kz', 'a..b@gov.kz', '.a@gov.kz', 'a@-gov.kz', 'a@gov..kz', 'a b@gov.kz', 'a@gov.k'])(
    'rejects %s',
    (value) => expect(isEmailAddress(value)).toBe(false),
  );
});

describe('checking the request', () => {
  it('returns the normalized request: trimmed, BIN/IIN without spaces, +7 phones, lower-case e-mails', () => {
    const result = parseAccountRequest(
      form({
        organization_name: '  Министерство  ',
        organization_bin: '990 340 001 230',
        contact_email: ' D.Serikov@GOV.kz ',
        people: [person({ patronymic: '  ', iin: `${IIN_A.slice(0, 6)} ${IIN_A.slice(6)}` }), person({ email: 'second@gov.kz', iin: IIN_B, patronymic: 'Нурланович' })],
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.input.organization_name).toBe('Министерство');
    expect(result.input.organization_bin).toBe(BIN);
    expect(result.input.contact_email).toBe('d.serikov@gov.kz');
    expect(result.input.contact_phone).toBe('+77172740000');
    expect(result.input.people[0]).toMatchObject({ iin: IIN_A, phone: '+77011234567', email: 'e.abayev@gov.kz', patronymic: null });
    expect(result.input.people[1]).toMatchObject({ iin: IIN_B, patronymic: 'Нурланович' });
  });

  it('names every invalid field the way the form posts it, one error per field', () => {
    const result = parseAccountRequest(
      form({
        organization_name: '',
        organization_bin: '990340001231',
        organization_kind: 'ministry',
        contact_phone: '+7 916 123 45 67',
        people: [person(), person({ surname: ' ', iin: '123', phone: '+44 20 7946 0958', email: 'not-an-email', purpose: 'x'.repeat(2001) })],
      }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      { field: 'organization_name', rule: 'required' },
      { field: 'organization_bin', rule: 'bin_check_digit' },
      { field: 'organization_kind', rule: 'invalid' },
      { field: 'people[1][surname]', rule: 'required' },
      { field: 'people[1][iin]', rule: 'iin_format' },
      { field: 'people[1][phone]', rule: 'phone_kz' },
      { field: 'people[1][email]', rule: 'email' },
      { field: 'people[1][purpose]', rule: 'too_long', params: { max: 2000 } },
      { field: 'contact_phone', rule: 'phone_kz' },
    ]);
  });

  it('tells a check-digit error from a structure error for BIN and IIN', () => {
    const iinAsBin = parseAccountRequest(form({ organization_bin: IIN_A }));
    expect(!iinAsBin.ok && iinAsBin.errors).toEqual([{ field: 'organization_bin', rule: 'bin_structure' }]);
    const wrongDigit = `${IIN_A.slice(0, 11)}${(Number(IIN_A[11]) + 1) % 10}`;
    const badIin = parseAccountRequest(form({ people: [person({ iin: wrongDigit })] }));
    expect(!badIin.ok && badIin.errors).toEqual([{ field: 'people[0][iin]', rule: 'iin_check_digit' }]);
    const binAsIin = parseAccountRequest(form({ people: [person({ iin: BIN })] }));
    expect(!binAsIin.ok && binAsIin.errors).toEqual([{ field: 'people[0][iin]', rule: 'iin_structure' }]);
  });

  it('accepts a BIN whose check digit comes from the second weight set', () => {
    // 99034000050: the first pass gives 10, the second gives 4.
    const result = parseAccountRequest(form({ organization_bin: '990340000504' }));
    expect(result.ok).toBe(true);
  });

  it('requires the kind to be chosen', () => {
    const result = parseAccountRequest(form({ organization_kind: '' }));
    expect(!result.ok && result.errors).toEqual([{ field: 'organization_kind', rule: 'required' }]);
  });

  it('refuses the same e-mail for two people of one request, whatever the case', () => {
    const result = parseAccountRequest(form({ people: [person({ email: 'a@gov.kz' }), person({ email: 'A@Gov.KZ ', iin: IIN_B })] }));
    expect(!result.ok && result.errors).toEqual([{ field: 'people[1][email]', rule: 'email_repeated' }]);
  });

  it('refuses more people than one request may list', () => {
    const result = parseAccountRequest(form({ people: Array.from({ length: MAX_PEOPLE + 1 }, (_, i) => person({ email: `p${i}@gov.kz` })) }));
    expect(!result.ok && result.errors).toEqual([{ field: 'people', rule: 'people_too_many', params: { max: MAX_PEOPLE } }]);
  });
});

describe('queue filters', () => {
  it('falls back to the defaults for anything unknown', () => {
    expect(queueFiltersSchema.parse({})).toEqual({ status: 'open', overdue: false, sort: 'due_asc', page: 1 });
    expect(queueFiltersSchema.parse({ status: 'bogus', sort: 'x', page: '-3', overdue: '' })).toEqual({ status: 'open', overdue: false, sort: 'due_asc', page: 1 });
    expect(queueFiltersSchema.parse({ status: 'all', sort: 'received_desc', page: '2', overdue: '1' })).toEqual({ status: 'all', overdue: true, sort: 'received_desc', page: 2 });
  });
});
