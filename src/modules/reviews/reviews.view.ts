/** How the review's pages present what the services give: extract downloads, form errors, the SLA report's labels. */
import { createReadStream } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type FieldError } from '../../errors.ts';
import { type CertificateDownload, EXTRACT_RETRY_AFTER_SECONDS } from './issued-documents.service.ts';

export function sendExtract(reply: FastifyReply, file: CertificateDownload): FastifyReply {
  return reply
    .type('application/pdf')
    .header('content-length', String(file.sizeBytes))
    .header('content-disposition', `attachment; filename="${file.fileName}"`)
    .header('repr-digest', `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`)
    .header('x-content-sha256', file.sha256)
    .header('cache-control', 'private, no-cache')
    .send(createReadStream(file.path));
}

/** The extract, or (while it is being prepared) the error with a Retry-After telling the client when to ask again. */
export async function replyWithExtract(reply: FastifyReply, open: () => Promise<CertificateDownload>): Promise<FastifyReply> {
  try {
    const extract = await open();
    // 004 §16.4: the download is registered once the access check (or the number and BIN) let it through.
    const request = reply.request;
    request.server.deps.accessLog.record({ actor: request.user ?? null, kind: 'extract_download', entityId: extract.documentId, objectId: extract.objectId, requestId: request.id });
    return sendExtract(reply, extract);
  } catch (error) {
    if (error instanceof AppError && (error.details as { reason?: string } | undefined)?.reason === 'extract_pending') reply.header('retry-after', String(EXTRACT_RETRY_AFTER_SECONDS));
    throw error;
  }
}

export function caseErrorText(request: FastifyRequest): (error: FieldError) => string {
  return (error) => request.t(error.rule === 'required_for_return' ? 'reviews.validation.required_for_return' : `validation.${error.rule}`, error.params ?? {});
}

export function slaLabels(request: FastifyRequest) {
  const t = request.t;
  return {
    reviewer: t('reviews.sla.col_reviewer'),
    received: t('reviews.sla.col_received'),
    decided: t('reviews.sla.col_decided'),
    onTime: t('reviews.sla.col_on_time'),
    onTimeShare: t('reviews.sla.col_on_time_share'),
    median: t('reviews.sla.col_median'),
    openOverdue: t('reviews.sla.col_open_overdue'),
    overall: t('reviews.sla.overall'),
    unassigned: t('reviews.sla.unassigned'),
    title: t('reviews.sla.chart_title'),
    noData: t('reviews.sla.no_data'),
    locale: request.language,
  };
}
