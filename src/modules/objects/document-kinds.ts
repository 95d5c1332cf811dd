/**
 * The catalogue of document kinds an informatization object's technical documentation is placed
 * as (003 §5, §7, Annex 1; 001 §5, Annex 2), and which kinds the object must have on the portal in
 * each lifecycle state. Pure data: administrators will see it as a reference list, the lifecycle
 * (lifecycle.ts) and completeness checks read it.
 *
 * Two different questions use document kinds, with two different scopes:
 *   - what a lifecycle move needs (MOVES in lifecycle.ts) is checked against the documents placed
 *     in the current stage, so a development (004 §9, §10) produces its own acts;
 *   - what the object must have on the portal in a state (REQUIRED_DOCUMENTS_BY_STATE below, used
 *     by completeness and by the 004 §18 funding check) is checked against all the object's
 *     accepted documents.
 */
import type { DocumentFileStatus } from '../../db/database.ts';
import type { LifecycleStateKey } from './lifecycle.ts';

export const DOCUMENT_KIND_IDS = [
  'technical_specification',
  'feasibility_study',
  'technical_specification_sheet',
  'pilot_completion_act',
  'security_test_protocol',
  'commissioning_act',
  'security_documentation',
  'user_manual',
  'admin_manual',
  'security_certificate',
  'other',
] as const;

export type DocumentKind = (typeof DOCUMENT_KIND_IDS)[number];

export interface LocalizedName {
  kk: string;
  ru: string;
  en: string;
}

export interface DocumentKindEntry {
  id: DocumentKind;
  name: LocalizedName;
  /** Where the seeds name this document. */
  clause: string;
}

export const DOCUMENT_KINDS: ReadonlyArray<DocumentKindEntry> = [
  {
    id: 'technical_specification',
    name: { kk: 'Техникалық тапсырма', ru: 'Техническое задание', en: 'Technical specification (terms of reference)' },
    clause: '004 §8, §10, §28; 001 §5.2',
  },
  {
    id: 'feasibility_study',
    name: { kk: 'Техникалық-экономикалық негіздеме', ru: 'Технико-экономическое обоснование', en: 'Feasibility study' },
    clause: '001 §5.2; 004 §6',
  },
  {
    id: 'technical_specification_sheet',
    name: { kk: 'Техникалық ерекшелік', ru: 'Техническая спецификация', en: 'Technical specification sheet' },
    clause: '001 §5.2',
  },
  {
    id: 'pilot_completion_act',
    name: { kk: 'Тәжірибелік пайдалануды аяқтау туралы акт', ru: 'Акт о завершении опытной эксплуатации', en: 'Act on completion of pilot operation' },
    clause: '004 §9.2',
  },
  {
    id: 'security_test_protocol',
    name: {
      kk: 'Ақпараттық қауіпсіздік талаптарына сәйкестігіне сынақ нәтижелері (хаттама)',
      ru: 'Протокол испытаний на соответствие требованиям информационной безопасности',
      en: 'Information-security compliance test protocol',
    },
    clause: '004 §9.3; 003 Annex 1 item 2',
  },
  {
    id: 'commissioning_act',
    name: { kk: 'Өнеркәсіптік пайдалануға енгізу актісі', ru: 'Акт ввода в промышленную эксплуатацию', en: 'Commissioning act (into industrial operation)' },
    clause: '004 §9.5, §15; 001 §5.2',
  },
  {
    id: 'security_documentation',
    name: {
      kk: 'Ақпараттық қауіпсіздік жөніндегі техникалық құжаттама',
      ru: 'Техническая документация по информационной безопасности',
      en: 'Information-security technical documentation',
    },
    clause: '003 Annex 1 item 1 (Unified Requirements, decree 832 of 20.12.2016)',
  },
  {
    id: 'user_manual',
    name: { kk: 'Пайдаланушы нұсқаулығы', ru: 'Руководство пользователя', en: 'User manual' },
    clause: '001 Annex 2 item 4',
  },
  {
    id: 'admin_manual',
    name: { kk: 'Әкімші нұсқаулығы', ru: 'Руководство администратора', en: 'Administrator manual' },
    clause: '001 Annex 2 item 3',
  },
  {
    id: 'security_certificate',
    name: {
      kk: 'Ақпараттық қауіпсіздік талаптарына сәйкестік аттестаты',
      ru: 'Аттестат соответствия требованиям информационной безопасности',
      en: 'Information-security certificate',
    },
    clause: '001 §5.6',
  },
  {
    id: 'other',
    name: { kk: 'Өзге құжат', ru: 'Иной документ', en: 'Other document' },
    clause: '003 §5 (technical documentation, 003 §4.3)',
  },
];

export function isDocumentKind(value: unknown): value is DocumentKind {
  return typeof value === 'string' && (DOCUMENT_KIND_IDS as readonly string[]).includes(value);
}

export interface StateDocumentRequirement {
  required: readonly DocumentKind[];
  clause: string;
}

// Built up step by step: each step of creation keeps what the previous steps produced (003 §4.3:
// technical documentation covers creation, development, pilot and industrial operation).
const CREATION_BEGUN: readonly DocumentKind[] = ['technical_specification'];
const PILOT_DONE: readonly DocumentKind[] = [...CREATION_BEGUN, 'pilot_completion_act'];
const SECURITY_TESTED: readonly DocumentKind[] = [...PILOT_DONE, 'security_test_protocol', 'security_documentation'];
const IN_OPERATION: readonly DocumentKind[] = [...SECURITY_TESTED, 'commissioning_act', 'user_manual', 'admin_manual'];

/**
 * The documents an object must have on the portal while in a state (checked against all its
 * accepted documents). Kinds not listed anywhere here (feasibility study, specification sheet,
 * certificate, other) are accepted but never required: the seeds name them only for particular
 * cases (001 §5 applications to the operator's list; 004 §6 state investment projects).
 *
 * During a development the object stays in industrial operation (004 §3.1: development modernizes
 * an object already commissioned), so it keeps the operation requirements; the development's own
 * acts are demanded by its moves (lifecycle.ts), which look only at the development's documents.
 * A terminated object is read-only, so nothing more can be required of it.
 */
export const REQUIRED_DOCUMENTS_BY_STATE: Readonly<Record<LifecycleStateKey, StateDocumentRequirement>> = {
  'creation/development_work': { required: CREATION_BEGUN, clause: '004 §8 (creation is done on the basis of a technical specification)' },
  'creation/pilot_operation': { required: CREATION_BEGUN, clause: '004 §8' },
  'creation/security_testing': { required: PILOT_DONE, clause: '004 §8, §9.2' },
  'creation/implementation': { required: SECURITY_TESTED, clause: '004 §8, §9.2, §9.3; 003 Annex 1 items 1–2' },
  'creation/commissioning': { required: SECURITY_TESTED, clause: '004 §8, §9.2, §9.3; 003 Annex 1 items 1–2' },
  industrial_operation: {
    required: IN_OPERATION,
    clause: '004 §9, §15, §18; 003 Annex 1 items 1–2; 001 §5.2, Annex 2 items 3–4',
  },
  'development/development_work': { required: IN_OPERATION, clause: '004 §3.1, §10, §18' },
  'development/pilot_operation': { required: IN_OPERATION, clause: '004 §3.1, §10, §18' },
  'development/security_testing': { required: IN_OPERATION, clause: '004 §3.1, §10, §18' },
  'development/implementation': { required: IN_OPERATION, clause: '004 §3.1, §10, §18' },
  'development/commissioning': { required: IN_OPERATION, clause: '004 §3.1, §10, §18' },
  termination: { required: [], clause: '004 §19 (the object is read-only)' },
};

/** A document version's state from its two files' (PDF/A original and DOCX draft): accepted only when both are. */
export type DocumentVersionStatus = 'accepted' | 'rejected' | 'checking';

export function pairStatus(files: ReadonlyArray<{ status: DocumentFileStatus }>): DocumentVersionStatus {
  if (files.some((file) => file.status === 'rejected')) return 'rejected';
  if (files.length === 2 && files.every((file) => file.status === 'accepted')) return 'accepted';
  return 'checking';
}
