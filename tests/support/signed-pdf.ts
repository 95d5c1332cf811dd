/**
 * A small PDF with one signature field and its signature dictionary (ETSI.CAdES.detached), signed
 * the way PDF signers do it: the file is written with a zero-filled /Contents and a fixed-width
 * /ByteRange, the ranges around /Contents are signed (detached CMS) and the hex is put in place.
 */
import type { TestKey, TestPki } from './test-pki.ts';

const CONTENTS_BYTES = 8192;

export async function signedPdf(pki: TestPki, key: TestKey, pageText = 'Техническое задание'): Promise<Buffer> {
  const placeholderRange = '/ByteRange [0 0000000000 0000000000 0000000000]';
  const contents = `<${'0'.repeat(CONTENTS_BYTES * 2)}>`;
  const stream = `BT /F1 12 Tf 72 720 Td (${Buffer.from(pageText, 'utf8').toString('latin1').replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R /Annots [4 0 R] >>',
    '<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [0 0 0 0] /V 5 0 R /P 3 0 R /T (Signature1) /F 132 >>',
    `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached ${placeholderRange} /Contents ${contents} /M (D:20261203100000Z) >>`,
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
  ];
  let body = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;

  const file = Buffer.from(body, 'latin1');
  const gapStart = file.indexOf(contents, 0, 'latin1');
  const gapEnd = gapStart + contents.length;
  const range = `/ByteRange [0 ${String(gapStart).padStart(10, '0')} ${String(gapEnd).padStart(10, '0')} ${String(file.length - gapEnd).padStart(10, '0')}]`;
  file.write(range, file.indexOf(placeholderRange, 0, 'latin1'), 'latin1');
  const cms = await pki.sign(key, Buffer.concat([file.subarray(0, gapStart), file.subarray(gapEnd)]));
  if (cms.length > CONTENTS_BYTES) throw new Error('signature larger than the reserved /Contents');
  file.write(cms.toString('hex').toUpperCase(), gapStart + 1, 'latin1');
  return file;
}
