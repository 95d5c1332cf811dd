/**
 * The monitoring page (001 §3.7, 004 §18): server-drawn charts, each with its table and a CSV of
 * the same figures, filtered by organization and period.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { barChartSvg } from '../../web/charts.ts';
import { CSV_BOM, csvLine } from '../../web/csv.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { allGaps, getMonitoring, type GapItem, type Monitoring, type MonitoringFilters, monitoringFilters, requireMonitoringTable } from './monitoring.service.ts';

const views = '/modules/monitoring/views';
const read = { access: { permission: 'monitoring.read' } } as const;
const query = z.object({ organization: z.string().max(100).optional().catch(undefined), from: z.string().max(10).optional().catch(undefined), to: z.string().max(10).optional().catch(undefined) });

function texts(request: FastifyRequest) {
  const t = request.t;
  const gapText = (gap: GapItem['missing'][number]): string =>
    gap.type === 'field' ? t('monitoring.gaps.field', { field: t(`objects.fields.${gap.field.replaceAll('.', '_')}`) }) : gap.type === 'document' ? t('monitoring.gaps.document', { kind: t(`objects.document_kinds.${gap.documentKind}`) }) : t('monitoring.gaps.terminated');
  const stateText = (item: { stage: string; step: string | null }) => (item.step ? `${t(`objects.stages.${item.stage}`)} — ${t(`objects.steps.${item.step}`)}` : t(`objects.stages.${item.stage}`));
  const label = {
    kind: (key: string) => t(`objects.kinds.${key}`),
    class: (key: string) => t('monitoring.class', { n: key }),
    stage: (key: string) => t(`objects.stages.${key}`),
  };
  return { t, gapText, stateText, label, objectName: (item: { nameKk: string; nameRu: string }) => (request.language === 'kk' ? item.nameKk : item.nameRu) };
}

function charts(request: FastifyRequest, data: Monitoring) {
  const { t, label } = texts(request);
  const chart = (id: string, title: string, bars: Array<{ label: string; value: number }>) => barChartSvg(bars, { id, title, noData: t('monitoring.no_data'), locale: request.language });
  return {
    kinds: chart('chart-kinds', t('monitoring.by_kind'), data.byKind.map((row) => ({ label: label.kind(row.key), value: row.count }))),
    classes: chart('chart-classes', t('monitoring.by_class'), data.byClass.map((row) => ({ label: label.class(row.key), value: row.count }))),
    stages: chart('chart-stages', t('monitoring.by_stage'), data.byStage.map((row) => ({ label: label.stage(row.key), value: row.count }))),
    organizations: chart('chart-organizations', t('monitoring.by_organization'), data.byOrganization.map((row) => ({ label: row.name, value: row.count }))),
    duties: chart('chart-duties', t('monitoring.duties_overdue'), data.duties.filter((row) => row.overdue > 0).map((row) => ({ label: row.name, value: row.overdue }))),
    reviews: chart('chart-reviews', t('monitoring.reviews_late'), data.reviews.map((row) => ({ label: row.month, value: row.late + row.openOverdue }))),
  };
}

function filterQuery(filters: MonitoringFilters): string {
  const params = new URLSearchParams({ from: filters.fromMonth, to: filters.toMonth });
  if (filters.organizationId) params.set('organization', filters.organizationId);
  return `?${params}`;
}

export default async function monitoringWeb(fastify: FastifyInstance): Promise<void> {
  const { db } = fastify.deps;

  fastify.get('/monitoring', { config: read }, async (request, reply) => {
    const filters = monitoringFilters(query.parse(request.query ?? {}));
    const data = await getMonitoring(db, request.user, filters, { language: request.language });
    return reply.render(`${views}/monitoring`, { ...texts(request), data, charts: charts(request, data), csvQuery: filterQuery(filters) });
  });

  fastify.get('/monitoring/csv/:table', { config: read }, async (request, reply) => {
    const table = requireMonitoringTable((request.params as { table: string }).table);
    const filters = monitoringFilters(query.parse(request.query ?? {}));
    const { t, label, gapText, stateText, objectName } = texts(request);
    async function* lines(): AsyncGenerator<string> {
      if (table === 'without-documents' || table === 'funding') {
        yield CSV_BOM + csvLine([t('monitoring.csv.object_id'), t('monitoring.csv.name'), t('monitoring.csv.state'), t('monitoring.csv.missing')]);
        for await (const item of allGaps(db, request.user, table === 'funding' ? 'operation' : 'documents', filters)) {
          yield csvLine([item.id, objectName(item), stateText(item), item.missing.map(gapText).join('; ')]);
        }
        return;
      }
      const data = await getMonitoring(db, request.user, filters, { language: request.language });
      if (table === 'kinds' || table === 'classes' || table === 'stages') {
        const dimension = table === 'kinds' ? 'kind' : table === 'classes' ? 'class' : 'stage';
        const rows = table === 'kinds' ? data.byKind : table === 'classes' ? data.byClass : data.byStage;
        yield CSV_BOM + csvLine([t(`monitoring.csv.${dimension}`), t('monitoring.csv.count')]);
        for (const row of rows) yield csvLine([label[dimension](row.key), String(row.count)]);
      } else if (table === 'organizations') {
        yield CSV_BOM + csvLine([t('monitoring.csv.organization'), t('monitoring.csv.bin'), t('monitoring.csv.count')]);
        for (const row of data.byOrganization) yield csvLine([row.name, row.bin, String(row.count)]);
      } else if (table === 'duties') {
        yield CSV_BOM + csvLine([t('monitoring.csv.organization'), t('monitoring.csv.bin'), t('monitoring.csv.due'), t('monitoring.csv.overdue')]);
        for (const row of data.duties) yield csvLine([row.name, row.bin, String(row.due), String(row.overdue)]);
      } else {
        yield CSV_BOM + csvLine([t('monitoring.csv.month'), t('monitoring.csv.received'), t('monitoring.csv.on_time'), t('monitoring.csv.late'), t('monitoring.csv.open_overdue')]);
        for (const row of data.reviews) yield csvLine([row.month, String(row.received), String(row.onTime), String(row.late), String(row.openOverdue)]);
      }
    }
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="monitoring-${table}-${toAlmatyDate(new Date())}.csv"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(lines()));
  });
}
