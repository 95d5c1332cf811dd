/**
 * How the documents pages name and send things: reasons and rules in the reader's language, sizes,
 * statuses, and a stored file as a download. Used by every page that shows an object's documents.
 */
import { createReadStream } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type FieldError } from '../../errors.ts';
import { DOCUMENT_KINDS, REQUIRED_DOCUMENTS_BY_STATE } from '../objects/document-kinds.ts';
import type { LifecycleStateKey } from '../objects/lifecycle.ts';
import type { DocumentKindView, Download } from './documents.service.ts';
import { explanationKey } from './rule-explanations.ts';

/** The raw veraPDF report shown on a file's page is cut here: a page of megabytes helps nobody. */
const RAW_REPORT_MAX_CHARS = 200_000;

/** Whole mebibytes, as the upload limit is told to people. */
export function mebibytes(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}

/** The header value of a download's file name: ASCII fallback plus the exact UTF-8 name (RFC 6266). */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** A stored file as a download: its type, its name, and its SHA-256 for the client to check (RFC 9530 Repr-Digest). */
export function sendDownload(reply: FastifyReply, download: Download): FastifyReply {
  // 004 §16.4: the download is registered once the access check let it through.
  const request = reply.request;
  request.server.deps.accessLog.record({ actor: request.user ?? null, kind: 'document_download', entityId: download.fileId, objectId: download.objectId, requestId: request.id });
  return reply
    .type(download.mediaType)
    .header('content-length', String(download.sizeBytes))
    .header('content-disposition', contentDisposition(download.fileName))
    .header('repr-digest', `sha-256=:${Buffer.from(download.sha256, 'hex').toString('base64')}:`)
    .header('x-content-sha256', download.sha256)
    .header('etag', `"${download.sha256}"`)
    .header('cache-control', 'private, no-cache')
    .send(createReadStream(download.path));
}

/** Texts the documents pages share: a reason's message, a rule's plain meaning, sizes. */
export function documentTexts(request: FastifyRequest) {
  const t = request.t;
  const reasonText = (reason: { code: string; params?: Record<string, string | number> }): string => {
    const params: Record<string, string | number> = { ...(reason.params ?? {}) };
    if (typeof params.detected === 'string') params.detected = t(`documents.detected.${params.detected}`);
    return t(`documents.reasons.${reason.code}`, params);
  };
  const ruleText = (clause: string): string | null => {
    const key = explanationKey(clause);
    return key ? t(`documents.rules.${key}`) : null;
  };
  const sizeText = (bytes: number): string => {
    const format = (value: number, unit: string) => t(`documents.units.${unit}`, { value: new Intl.NumberFormat(request.language, { maximumFractionDigits: 1 }).format(value) });
    if (bytes < 1024) return format(bytes, 'bytes');
    if (bytes < 1024 * 1024) return format(bytes / 1024, 'kib');
    return format(bytes / 1024 / 1024, 'mib');
  };
  const kindName = (kind: string): string => t(`objects.document_kinds.${kind}`);
  const statusLabels = Object.fromEntries(['queued', 'checking', 'accepted', 'rejected', 'check_failed'].map((s) => [s, t(`documents.statuses.${s}`)]));
  const uploadErrorText = (error: FieldError): string =>
    error.rule === 'document_rejected' ? reasonText({ code: String(error.params?.reason ?? ''), params: error.params ?? {} }) : t(`validation.${error.rule}`, error.params ?? {});
  return { reasonText, ruleText, sizeText, kindName, statusLabels, errorText: uploadErrorText };
}

/** The kind choices of the upload form: which the object's state requires, and how many versions each has. */
export function uploadKindChoices(documents: readonly DocumentKindView[], state: LifecycleStateKey) {
  const required = new Set(REQUIRED_DOCUMENTS_BY_STATE[state].required);
  return {
    kinds: DOCUMENT_KINDS.map((kind) => ({ id: kind.id, required: required.has(kind.id), versions: documents.find((d) => d.kind === kind.id)?.earlier.length ?? -1 })),
    currentVersions: Object.fromEntries(documents.map((d) => [d.kind, d.current.version])),
  };
}

/**
 * An upload refused before its files were read (too large, not multipart) as the form's error on
 * the PDF field, with its HTTP status; null for any other error, which goes on.
 */
export function uploadRefusal(error: unknown, limitBytes: number): { status: number; errors: FieldError[] } | null {
  if (!(error instanceof AppError) || (error.code !== 'PAYLOAD_TOO_LARGE' && error.code !== 'UNSUPPORTED_MEDIA_TYPE')) return null;
  const reason = error.code === 'PAYLOAD_TOO_LARGE' ? 'too_large' : 'not_multipart';
  return { status: error.status, errors: [{ field: 'pdf', rule: 'document_rejected', params: { reason, limit: mebibytes(limitBytes) } }] };
}

/** veraPDF's report as the file's page shows it: indented JSON, cut when very long; null when there is none. */
export function rawReport(report: unknown): string | null {
  if (report === null) return null;
  const raw = JSON.stringify(report, null, 2);
  return raw.length > RAW_REPORT_MAX_CHARS ? `${raw.slice(0, RAW_REPORT_MAX_CHARS)}\n…` : raw;
}

/** The documents each lifecycle state requires, for the kinds page. */
export function stateRequirements() {
  return Object.entries(REQUIRED_DOCUMENTS_BY_STATE).map(([state, requirement]) => ({ state, ...requirement }));
}
