/**
 * Server-drawn charts: an SVG with a title and a description that says every value (role="img"),
 * always shown beside a table of the same figures, so nothing depends on seeing the bars.
 */

export interface Bar {
  label: string;
  value: number;
}

const WIDTH = 640;
const ROW = 26;
const LABEL_WIDTH = 250;
const TOP = 40;

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Horizontal bars, one per entry, scaled to the largest value; `id` makes the title and description ids unique on a page. */
export function barChartSvg(bars: readonly Bar[], options: { id: string; title: string; noData: string; locale: string }): string {
  const format = new Intl.NumberFormat(options.locale);
  const titleId = `${options.id}-title`;
  const descId = `${options.id}-desc`;
  const desc = bars.length === 0 ? options.noData : bars.map((bar) => `${bar.label}: ${format.format(bar.value)}`).join('; ');
  const height = TOP + Math.max(bars.length, 1) * ROW + 10;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const barSpace = WIDTH - LABEL_WIDTH - 70;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${titleId}" aria-describedby="${descId}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" font-size="12" fill="#1b1f24">`,
    `<title id="${titleId}">${xml(options.title)}</title>`,
    `<desc id="${descId}">${xml(desc)}</desc>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="22" font-size="15" font-weight="bold">${xml(options.title)}</text>`,
  ];
  if (bars.length === 0) parts.push(`<text x="8" y="${TOP + 14}" fill="#57606a">${xml(options.noData)}</text>`);
  bars.forEach((bar, index) => {
    const y = TOP + index * ROW;
    const width = Math.round((bar.value / max) * barSpace);
    const label = bar.label.length > 38 ? `${bar.label.slice(0, 37)}…` : bar.label;
    parts.push(`<text x="8" y="${y + 15}">${xml(label)}</text>`);
    parts.push(`<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${Math.max(width, bar.value > 0 ? 2 : 0)}" height="${ROW - 8}" fill="#1f5fa8"/>`);
    parts.push(`<text x="${LABEL_WIDTH + width + 6}" y="${y + 15}">${format.format(bar.value)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
