import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsQRModule from 'jsqr';
import { PDFParse, VerbosityLevel } from 'pdf-parse';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPdfOriginal } from '../../src/modules/documents/check.ts';
import { extractPdfText } from '../../src/modules/documents/inspect.ts';
import { createVeraPdf, defaultVeraPdfBin } from '../../src/modules/documents/verapdf.ts';
import { formatAccountCode } from '../../src/modules/reviews/account-code.ts';
import {
  CERTIFICATE_AUTHOR,
  CERTIFICATE_TITLE,
  certificateCreationDate,
  qrMatrix,
  renderCertificatePdf,
  type CertificateData,
} from '../../src/modules/reviews/certificate-pdf.ts';
import { projectRoot } from '../support/paths.ts';
import { drawnQr, raster } from '../support/qr.ts';

// jsqr is CommonJS (UMD) with an ES-style default export: Node's default import is module.exports,
// which carries the function as `.default` too.
const jsQR = jsQRModule.default;

const bin = process.env.VERAPDF_BIN ?? defaultVeraPdfBin(projectRoot);
const veraPdf = createVeraPdf({ bin, timeoutMs: 60_000 });

const KAZAKH_LETTERS = [...'әғқңөұүһіӘҒҚҢӨҰҮҺІ'];

const data: CertificateData = {
  documentNumber: 'EXT-2026-000042',
  issuedOn: '2026-03-14',
  accountCode: formatAccountCode({ prefix: 'AP', year: 2026, sequence: 123 }),
  objectName: {
    kk: 'Үкіметтің «ӘДІЛЕТ-ӨҢІР» мемлекеттік қызметтер көрсету ақпараттық жүйесі',
    ru: 'Информационная система оказания государственных услуг «ӘДІЛЕТ-ӨҢІР»',
  },
  ownerName: {
    kk: 'Қазақстан Республикасы Ғылым және жоғары білім министрлігінің Ұлттық ғылыми орталығы',
    ru: 'Национальный научный центр Министерства науки и высшего образования Республики Казахстан',
  },
  ownerBin: '990140090002',
  approvedBy: 'Һасенов Шаһмардан Ілиясұлы',
  verificationUrl: 'https://portal.example/verify?number=EXT-2026-000042&bin=990140090002',
};

let scratch = '';
let file = '';
let pdf: Buffer;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`veraPDF is not installed at ${bin}: run node scripts/install-verapdf.mjs`);
  scratch = mkdtempSync(path.join(os.tmpdir(), 'certificate-pdf-test-'));
  pdf = await renderCertificatePdf(data);
  file = path.join(scratch, 'extract.pdf');
  writeFileSync(file, pdf);
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function libraryMatrix(text: string): boolean[][] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  return Array.from({ length: modules.size }, (_, row) => Array.from({ length: modules.size }, (_, col) => modules.data[row * modules.size + col] === 1));
}


describe('renderCertificatePdf', () => {
  it('makes a PDF/A-1a file that veraPDF passes', async () => {
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    const report = await veraPdf.validate(file);
    expect(report.failedRules).toEqual([]);
    expect(report.compliant).toBe(true);
    expect(report.flavour).toBe('1a');
    expect(report.profileName).toMatch(/^PDF\/A-1A/);
    expect(report.counts.failedRules).toBe(0);
    expect(report.counts.passedRules).toBeGreaterThan(100);
  });

  it("passes the portal's own check of a PDF original", async () => {
    const check = await checkPdfOriginal(file, veraPdf);
    expect(check.reasons).toEqual([]);
    expect(check.verdict).toBe('accepted');
    expect(check.declaredPdfa).toBe('1a');
    expect(check.validatedAs).toBe('1a');
    expect(check.pageCount).toBe(1);
  });

  it('has the data, Kazakh letters included, as extractable text', async () => {
    const result = await extractPdfText(file);
    if (!result.ok) throw new Error(result.detail);
    expect(result.pages).toBe(1);
    const text = result.text;
    const flat = text.replace(/\s+/g, ' ');
    for (const expected of [data.accountCode, data.documentNumber, data.ownerBin, '14.03.2026', data.approvedBy, 'Тексеру / Проверка']) {
      expect(text).toContain(expected);
    }
    // Long values wrap: compare with the line breaks as spaces.
    for (const expected of [data.objectName.kk, data.objectName.ru, data.ownerName.kk, data.ownerName.ru, CERTIFICATE_TITLE.kk, CERTIFICATE_TITLE.ru]) {
      expect(flat).toContain(expected);
    }
    expect(KAZAKH_LETTERS.filter((letter) => ![...Object.values(data.objectName), ...Object.values(data.ownerName), data.approvedBy].join(' ').includes(letter))).toEqual([]);
    expect(KAZAKH_LETTERS.filter((letter) => !text.includes(letter))).toEqual([]);
    expect(text.replace(/\s+/g, '')).toContain(data.verificationUrl);
  });

  it('embeds DejaVu Sans and no standard font', () => {
    const source = pdf.toString('latin1');
    expect(source).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans\b/);
    expect(source).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans-Bold\b/);
    expect(source.match(/\/FontFile2 /g)?.length).toBe(2);
    expect(source).not.toMatch(/Helvetica|Times-Roman|Courier/);
    expect(source).not.toMatch(/\/Subtype \/Image|\/SMask|\/ca |\/CA /);
  });

  it('carries the title, author and a creation date taken from issuedOn', async () => {
    const parser = new PDFParse({ data: new Uint8Array(pdf), verbosity: VerbosityLevel.ERRORS });
    try {
      const info = await parser.getInfo();
      expect(info.info?.Title).toBe(`${CERTIFICATE_TITLE.kk} / ${CERTIFICATE_TITLE.ru}`);
      expect(info.info?.Author).toBe(CERTIFICATE_AUTHOR);
      expect(info.info?.CreationDate).toBe('D:20260313190000Z'); // 2026-03-14 00:00 in Almaty
      const xmp = String(info.metadata?.getRaw() ?? '');
      expect(xmp).toContain('<pdfaid:part>1</pdfaid:part>');
      expect(xmp).toContain('<pdfaid:conformance>A</pdfaid:conformance>');
      expect(xmp).toContain('<xmp:CreateDate>2026-03-13T19:00:00Z</xmp:CreateDate>');
    } finally {
      await parser.destroy();
    }
    expect(certificateCreationDate('2026-03-14').toISOString()).toBe('2026-03-13T19:00:00.000Z');
  });

  it('gives the same bytes for the same data', async () => {
    expect((await renderCertificatePdf(data)).equals(pdf)).toBe(true);
  });

  it('draws the QR code of the verification URL as vector modules that decode back to the URL', () => {
    const drawn = drawnQr(pdf);
    const expected = libraryMatrix(data.verificationUrl);
    expect(drawn).toEqual(expected);
    expect(qrMatrix(data.verificationUrl)).toEqual(expected);

    const { pixels, side } = raster(drawn, 4);
    const decoded = jsQR(pixels, side, side, { inversionAttempts: 'dontInvert' });
    expect(decoded?.data).toBe(data.verificationUrl);
  });

  it('keeps long names on one page and refuses data that cannot be right', async () => {
    const long: CertificateData = {
      ...data,
      objectName: { kk: `${data.objectName.kk} `.repeat(4).trim(), ru: `${data.objectName.ru} `.repeat(4).trim() },
      ownerName: { kk: `${data.ownerName.kk} `.repeat(3).trim(), ru: `${data.ownerName.ru} `.repeat(3).trim() },
      verificationUrl: `${data.verificationUrl}&token=${'a1b2c3d4'.repeat(8)}`,
    };
    const longFile = path.join(scratch, 'long.pdf');
    writeFileSync(longFile, await renderCertificatePdf(long));
    const result = await extractPdfText(longFile);
    expect(result.ok && result.pages).toBe(1);
    if (result.ok) expect(result.text.replace(/\s+/g, '')).toContain(long.verificationUrl);
    const report = await veraPdf.validate(longFile);
    expect(report.failedRules).toEqual([]);
    expect(report.compliant).toBe(true);
    expect(drawnQr(await renderCertificatePdf(long))).toEqual(libraryMatrix(long.verificationUrl));

    await expect(renderCertificatePdf({ ...data, objectName: { kk: 'Ә '.repeat(3000), ru: 'x' } })).rejects.toThrow(/one page/);
    await expect(renderCertificatePdf({ ...data, issuedOn: '2026-02-30' })).rejects.toThrow(RangeError);
    await expect(renderCertificatePdf({ ...data, issuedOn: '14.03.2026' })).rejects.toThrow(RangeError);
    await expect(renderCertificatePdf({ ...data, accountCode: 'AP-2026-000123-00' })).rejects.toThrow(RangeError);
    await expect(renderCertificatePdf({ ...data, documentNumber: 'EXT<1>' })).rejects.toThrow(RangeError);
  });
});
