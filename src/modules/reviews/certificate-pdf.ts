/**
 * The extract (үзінді көшірме / выписка) issued when the service integrator approves an
 * informatization object: one A4 page, PDF/A-1a, in Kazakh and Russian, with a QR code that leads
 * to the portal's verification page.
 *
 * PDF/A-1a as pdfkit writes it with `pdfVersion: '1.4'`, `subset: 'PDF/A-1a'` and `tagged: true`:
 * the sRGB output intent (pdfkit's own ICC profile), XMP metadata with the pdfaid identification and
 * the Info entries mirrored, fonts embedded as subsets with a CIDSet and a ToUnicode map, MarkInfo
 * and a structure tree. The structure is ours: Document > H1 ×2, Table > TR > TH/TD > P (with Lang
 * kk or ru where the text is in one language), Figure (with Alt) for the QR code, P for the rest;
 * the rules between rows are Layout artifacts. Also ours to avoid: transparency (no opacity
 * anywhere), images (the QR code is vector rectangles), annotations (the URL is printed, not
 * linked), and the standard 14 fonts (DejaVu Sans is the document font from the start, so pdfkit
 * never loads Helvetica).
 *
 * Long names shrink the text (down to about 7-point values) rather than spill onto a second page;
 * data that would not fit even then is refused with an error.
 *
 * The output is deterministic: the creation date comes from `issuedOn` (00:00 in Almaty, UTC+5), and
 * pdfkit derives the file ID from the Info entries, so the same data gives the same bytes.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { isValidAccountCode } from './account-code.ts';

export interface CertificateData {
  /** Unique document number, e.g. 'EXT-2026-000042'. */
  documentNumber: string;
  /** 'YYYY-MM-DD' (Almaty date). */
  issuedOn: string;
  accountCode: string;
  objectName: { kk: string; ru: string };
  ownerName: { kk: string; ru: string };
  ownerBin: string;
  /** The reviewer's full name. */
  approvedBy: string;
  /** What the QR code encodes, e.g. 'https://portal.example/verify?number=...&bin=...'. */
  verificationUrl: string;
}

export const CERTIFICATE_TITLE = {
  kk: 'Архитектуралық порталдағы ақпараттандыру объектісін есепке алу туралы үзінді көшірме',
  ru: 'Выписка об учёте объекта информатизации на архитектурном портале',
} as const;

export const CERTIFICATE_AUTHOR = 'Architecture portal';

/** The QR code's error correction level: M restores about 15 % of a damaged symbol. */
export const QR_ERROR_CORRECTION = 'M';

const require = createRequire(import.meta.url);
const FONT_DIR = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const FONT_REGULAR = path.join(FONT_DIR, 'DejaVuSans.ttf');
const FONT_BOLD = path.join(FONT_DIR, 'DejaVuSans-Bold.ttf');

/** Kazakhstan keeps one time zone, UTC+5, since 1 March 2024. */
const ALMATY_OFFSET = '+05:00';

/**
 * The QR code's modules for `text`, row by row (true = dark), without the quiet zone: exactly what
 * `QRCode.create(text, { errorCorrectionLevel: 'M' }).modules` holds, and what the page draws.
 */
export function qrMatrix(text: string): boolean[][] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: QR_ERROR_CORRECTION });
  const rows: boolean[][] = [];
  for (let row = 0; row < modules.size; row++) {
    const cells: boolean[] = [];
    for (let col = 0; col < modules.size; col++) cells.push(modules.get(row, col) === 1);
    rows.push(cells);
  }
  return rows;
}

/** '2026-03-14' → the instant 2026-03-14T00:00:00+05:00; throws RangeError for anything else. */
export function certificateCreationDate(issuedOn: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(issuedOn);
  const date = match ? new Date(`${issuedOn}T00:00:00${ALMATY_OFFSET}`) : new Date(Number.NaN);
  // Rejects 2026-02-30 and the like, which Date would roll over into March.
  const calendar = Number.isNaN(date.getTime()) ? null : new Date(date.getTime() + 5 * 3_600_000).toISOString().slice(0, 10);
  if (calendar !== issuedOn) throw new RangeError(`issuedOn must be a calendar date YYYY-MM-DD: ${JSON.stringify(issuedOn)}`);
  return date;
}

/** '2026-03-14' → '14.03.2026', as dates are written in both languages. */
function displayDate(issuedOn: string): string {
  const [year, month, day] = issuedOn.split('-');
  return `${day}.${month}.${year}`;
}

/** pdfkit copies Title and Subject into the XMP packet without escaping them. */
const XML_SPECIAL = /[<>&]/;

function validate(data: CertificateData): void {
  certificateCreationDate(data.issuedOn);
  if (!data.documentNumber.trim() || XML_SPECIAL.test(data.documentNumber)) {
    throw new RangeError(`documentNumber must be non-empty and free of <, >, &: ${JSON.stringify(data.documentNumber)}`);
  }
  if (!isValidAccountCode(data.accountCode)) throw new RangeError(`not a valid account code: ${JSON.stringify(data.accountCode)}`);
  if (!data.verificationUrl) throw new RangeError('verificationUrl is required');
}

// ---------------------------------------------------------------------------------------------
// Layout (points; A4 is 595.28 × 841.89)

const PAGE_MARGIN = 56;
const LABEL_WIDTH = 190;
const COLUMN_GAP = 14;
const TEXT_COLOR = '#000000';
const LABEL_COLOR = '#333333';
const RULE_COLOR = '#999999';
/** Points per module: a URL of 60–150 characters (version 4–8, 33–49 modules) makes a 4.3–6 cm symbol with its quiet zone. */
const QR_MODULE = 3;
const QR_QUIET_ZONE = 4; // modules, as ISO/IEC 18004 asks

interface Labelled {
  kk: string;
  ru: string;
  /** One paragraph per entry; `lang` where the value is in one language. */
  value: Array<{ text: string; lang?: 'kk' | 'ru' }>;
  bold?: boolean;
}

function rowsOf(data: CertificateData): Labelled[] {
  return [
    { kk: 'Құжаттың нөмірі', ru: 'Номер документа', value: [{ text: data.documentNumber }] },
    { kk: 'Берілген күні', ru: 'Дата выдачи', value: [{ text: displayDate(data.issuedOn) }] },
    { kk: 'Есепке алу коды', ru: 'Учётный код', value: [{ text: data.accountCode }], bold: true },
    { kk: 'Объектінің атауы (қазақ тілінде)', ru: 'Наименование объекта (на казахском языке)', value: [{ text: data.objectName.kk, lang: 'kk' }] },
    { kk: 'Объектінің атауы (орыс тілінде)', ru: 'Наименование объекта (на русском языке)', value: [{ text: data.objectName.ru, lang: 'ru' }] },
    {
      kk: 'Объектінің иесі',
      ru: 'Владелец объекта',
      value: [
        { text: data.ownerName.kk, lang: 'kk' },
        { text: data.ownerName.ru, lang: 'ru' },
      ],
    },
    { kk: 'Иесінің БСН', ru: 'БИН владельца', value: [{ text: data.ownerBin }] },
    { kk: 'Бекіткен', ru: 'Утвердил', value: [{ text: data.approvedBy }] },
  ];
}

/** Renders the extract; the same data always gives the same bytes. */
export async function renderCertificatePdf(data: CertificateData): Promise<Buffer> {
  validate(data);
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE_MARGIN,
    pdfVersion: '1.4',
    subset: 'PDF/A-1a',
    tagged: true,
    lang: 'kk-KZ',
    displayTitle: true,
    // The document font from the start, so pdfkit never sets up Helvetica (not embeddable in PDF/A).
    font: FONT_REGULAR,
    info: {
      Title: `${CERTIFICATE_TITLE.kk} / ${CERTIFICATE_TITLE.ru}`,
      Author: CERTIFICATE_AUTHOR,
      Subject: `${data.documentNumber}, ${data.accountCode}`,
      Creator: CERTIFICATE_AUTHOR,
      Producer: `${CERTIFICATE_AUTHOR} (PDFKit)`,
      CreationDate: certificateCreationDate(data.issuedOn),
    },
  });
  doc.registerFont('regular', FONT_REGULAR);
  doc.registerFont('bold', FONT_BOLD);

  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Uint8Array) => chunks.push(Buffer.from(chunk)));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  let pages = 1;
  doc.on('pageAdded', () => pages++);
  draw(doc, data);
  doc.end();
  const bytes = await finished;
  // The measurements in draw() should prevent this; a second page would be a layout bug.
  if (pages !== 1) throw new Error(`the extract came out on ${pages} pages`);
  return bytes;
}

type Doc = PDFKit.PDFDocument;
type StructElement = PDFKit.PDFStructureElement;

/** A structure element under `parent` whose content is what `paint` draws (drawn right away). */
function tag(doc: Doc, parent: StructElement, type: string, options: PDFKit.Mixins.StructureElementOptions, paint: () => void): void {
  parent.add(doc.struct(type, options, paint));
}

/** Layout only (rules): marked as an artifact, outside the structure tree. */
function artifact(doc: Doc, paint: () => void): void {
  doc.markContent('Artifact', { type: 'Layout' });
  paint();
  doc.endMarkedContent();
}

interface Sizes {
  title: number;
  label: number;
  labelRu: number;
  value: number;
  padding: number;
  caption: number;
  note: number;
}

/** Font sizes and paddings at `scale`; long names make the whole text smaller, never a second page. */
function sizesAt(scale: number): Sizes {
  return { title: 13 * scale, label: 9 * scale, labelRu: 8.5 * scale, value: 10.5 * scale, padding: 7 * scale, caption: 10, note: 8 };
}

/** From full size down to about 7-point values; below that the data is not a plausible extract. */
const SCALES = [1, 0.93, 0.86, 0.8, 0.74, 0.68];

const TITLE_GAP = 6;
const AFTER_TITLE = 18;
const BEFORE_QR = 24;
const URL_SIZE = { max: 8, min: 6 };

interface Geometry {
  left: number;
  width: number;
  right: number;
  valueLeft: number;
  valueWidth: number;
}

function geometryOf(doc: Doc): Geometry {
  const left = PAGE_MARGIN;
  const width = doc.page.width - 2 * PAGE_MARGIN;
  const valueLeft = left + LABEL_WIDTH + COLUMN_GAP;
  return { left, width, right: left + width, valueLeft, valueWidth: left + width - valueLeft };
}

function measure(doc: Doc, font: 'regular' | 'bold', size: number, text: string, width: number): number {
  return doc.font(font).fontSize(size).heightOfString(text, { width });
}

function rowHeight(doc: Doc, row: Labelled, sizes: Sizes, g: Geometry): number {
  const label = measure(doc, 'bold', sizes.label, row.kk, LABEL_WIDTH) + 1 + measure(doc, 'regular', sizes.labelRu, row.ru, LABEL_WIDTH);
  const value = row.value.reduce((sum, part) => sum + measure(doc, row.bold ? 'bold' : 'regular', sizes.value, part.text, g.valueWidth), 0);
  return Math.max(label, value) + 2 * sizes.padding;
}

const CAPTION = 'Тексеру / Проверка';
const NOTE = {
  kk: 'Үзінді көшірменің түпнұсқалығын QR-код немесе жоғарыдағы сілтеме арқылы тексеруге болады.',
  ru: 'Подлинность выписки можно проверить по QR-коду или по ссылке выше.',
} as const;

/** The height of everything on the page at these sizes, top margin to the last line. */
function contentHeight(doc: Doc, data: CertificateData, rows: Labelled[], qrSide: number, urlSize: number, sizes: Sizes, g: Geometry): number {
  const title = measure(doc, 'bold', sizes.title, CERTIFICATE_TITLE.kk, g.width) + TITLE_GAP + measure(doc, 'bold', sizes.title, CERTIFICATE_TITLE.ru, g.width);
  const table = rows.reduce((sum, row) => sum + rowHeight(doc, row, sizes, g), 0);
  const qrBlock =
    BEFORE_QR +
    measure(doc, 'bold', sizes.caption, CAPTION, g.width) +
    4 +
    qrSide +
    2 +
    measure(doc, 'regular', urlSize, data.verificationUrl, g.width) +
    12 +
    measure(doc, 'regular', sizes.note, NOTE.kk, g.width) +
    1 +
    measure(doc, 'regular', sizes.note, NOTE.ru, g.width);
  return title + AFTER_TITLE + table + qrBlock;
}

function draw(doc: Doc, data: CertificateData): void {
  const g = geometryOf(doc);
  const { left, width, right, valueLeft, valueWidth } = g;
  const rows = rowsOf(data);
  const matrix = qrMatrix(data.verificationUrl);
  const qrSide = (matrix.length + 2 * QR_QUIET_ZONE) * QR_MODULE;
  const urlSize = fittingSize(doc, data.verificationUrl, width, URL_SIZE.max, URL_SIZE.min);
  // A little slack: pdfkit breaks the page as soon as a line would end past the bottom margin.
  const available = doc.page.height - 2 * PAGE_MARGIN - 2;
  const sizes = SCALES.map(sizesAt).find((candidate) => contentHeight(doc, data, rows, qrSide, urlSize, candidate, g) <= available);
  if (!sizes) throw new Error('the extract does not fit on one page');

  const root = doc.struct('Document');
  doc.addStructure(root);

  // Title, Kazakh first (the state language), then Russian.
  doc.fillColor(TEXT_COLOR).font('bold').fontSize(sizes.title);
  tag(doc, root, 'H1', { lang: 'kk' }, () => doc.text(CERTIFICATE_TITLE.kk, left, PAGE_MARGIN, { width, align: 'center' }));
  tag(doc, root, 'H1', { lang: 'ru' }, () => doc.text(CERTIFICATE_TITLE.ru, left, doc.y + TITLE_GAP, { width, align: 'center' }));
  let y = doc.y + AFTER_TITLE;
  artifact(doc, () => hRule(doc, left, right, y, 1));

  // Labelled rows: label kk over label ru on the left, the value on the right.
  const table = doc.struct('Table');
  root.add(table);
  for (const row of rows) {
    const top = y + sizes.padding;
    const bottom = y + rowHeight(doc, row, sizes, g);
    const tr = doc.struct('TR');
    table.add(tr);
    const th = doc.struct('TH');
    tr.add(th);
    doc.font('bold').fontSize(sizes.label).fillColor(LABEL_COLOR);
    tag(doc, th, 'P', { lang: 'kk' }, () => doc.text(row.kk, left, top, { width: LABEL_WIDTH }));
    doc.font('regular').fontSize(sizes.labelRu);
    tag(doc, th, 'P', { lang: 'ru' }, () => doc.text(row.ru, left, doc.y + 1, { width: LABEL_WIDTH }));
    th.end();

    const td = doc.struct('TD');
    tr.add(td);
    doc.font(row.bold ? 'bold' : 'regular').fontSize(sizes.value).fillColor(TEXT_COLOR);
    doc.y = top;
    for (const part of row.value) {
      const options = part.lang ? { lang: part.lang } : {};
      tag(doc, td, 'P', options, () => doc.text(part.text, valueLeft, doc.y, { width: valueWidth }));
    }
    td.end();
    tr.end();
    y = bottom;
    artifact(doc, () => hRule(doc, left, right, y, 0.5));
  }
  table.end();

  // QR code with its caption and the URL it encodes.
  y += BEFORE_QR;
  doc.font('bold').fontSize(sizes.caption).fillColor(TEXT_COLOR);
  tag(doc, root, 'P', {}, () => doc.text(CAPTION, left, y, { width, align: 'center' }));
  const qrTop = doc.y + 4;
  const qrLeft = left + (width - qrSide) / 2;
  const quiet = QR_QUIET_ZONE * QR_MODULE;
  tag(doc, root, 'Figure', { alt: `QR-код: ${data.verificationUrl}` }, () => drawQr(doc, matrix, qrLeft + quiet, qrTop + quiet, QR_MODULE));
  doc.font('regular').fontSize(urlSize).fillColor(TEXT_COLOR);
  tag(doc, root, 'P', {}, () => doc.text(data.verificationUrl, left, qrTop + qrSide + 2, { width, align: 'center' }));

  doc.fontSize(sizes.note).fillColor(LABEL_COLOR);
  const noteTop = doc.y + 12;
  tag(doc, root, 'P', { lang: 'kk' }, () => doc.text(NOTE.kk, left, noteTop, { width, align: 'center' }));
  tag(doc, root, 'P', { lang: 'ru' }, () => doc.text(NOTE.ru, left, doc.y + 1, { width, align: 'center' }));
  root.end();
}

function hRule(doc: Doc, x1: number, x2: number, y: number, lineWidth: number): void {
  doc.save().lineWidth(lineWidth).strokeColor(RULE_COLOR).moveTo(x1, y).lineTo(x2, y).stroke().restore();
}

/** The largest size from `max` down to `min` (in half points) at which `text` fits on one line. */
function fittingSize(doc: Doc, text: string, width: number, max: number, min: number): number {
  for (let size = max; size > min; size -= 0.5) {
    if (doc.fontSize(size).widthOfString(text) <= width) return size;
  }
  return min;
}

/**
 * One filled path of rectangles, one per run of dark modules in a row, in module units (the
 * transformation scales them), so the content stream reads `col row length 1 re`.
 */
function drawQr(doc: Doc, matrix: boolean[][], x: number, y: number, moduleSize: number): void {
  doc.save();
  doc.translate(x, y).scale(moduleSize);
  matrix.forEach((cells, row) => {
    let col = 0;
    while (col < cells.length) {
      if (!cells[col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < cells.length && cells[col]) col++;
      doc.rect(start, row, col - start, 1);
    }
  });
  doc.fill('#000000');
  doc.restore();
}
