import type { ObjectPassport } from '../../src/modules/objects/passport.ts';

/** A small valid passport (the owner is set by the service from the signed-in staff member). */
export function samplePassport(name = 'Система документооборота'): Omit<ObjectPassport, 'owner_organization_id'> {
  return {
    kind: 'state_body_software',
    class: 2,
    name: { full: { kk: `${name} (kk)`, ru: name } },
    purpose: { kk: 'Құжаттарды тіркеу', ru: 'Регистрация документов' },
    placement: { type: 'egov_ict_platform' },
    funding: 'own_funds',
    contacts: [{ full_name: 'Ахметов Арман', position: 'Бас сарапшы', phone: '+77011234567', email: 'a.akhmetov@example.kz' }],
  };
}
