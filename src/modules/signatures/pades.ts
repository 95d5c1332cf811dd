/**
 * Signatures embedded in a PDF (PAdES, ISO 32000-1 §12.8): each signature dictionary names a
 * /ByteRange [a b c d] — the signed bytes are [a, a+b) and [c, c+d) — and the gap between the two
 * ranges is the /Contents hex string holding a detached CMS. The CMS is then verified like any
 * other (verifyCms) over the two ranges joined. A signature whose ranges do not reach the end of
 * the file was followed by later changes; that is reported, not hidden.
 */
import * as asn1js from 'asn1js';

export interface PdfSignature {
  byteRange: [number, number, number, number];
  /** The detached CMS (DER), without the hex string's zero padding. */
  cms: Uint8Array;
  /** The bytes the CMS signs: both ranges joined. */
  signedContent: Uint8Array;
  subFilter: string | null;
  /** Whether the ranges cover the whole file except the signature itself. */
  coversWholeDocument: boolean;
}

export function isPdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-';
}

/** Every signature in the file, in file order; throws on a ByteRange that does not fit the file. */
export function extractPdfSignatures(pdf: Uint8Array): PdfSignature[] {
  const file = Buffer.from(pdf);
  const text = file.toString('latin1');
  const signatures: PdfSignature[] = [];
  for (const match of text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)) {
    const [a, b, c, d] = match.slice(1, 5).map(Number) as [number, number, number, number];
    if (a !== 0 || b <= 0 || c <= a + b || c + d > file.length) throw new Error(`ByteRange [${a} ${b} ${c} ${d}] does not fit a file of ${file.length} bytes`);
    const gap = text.slice(a + b, c);
    const hex = /^<([0-9A-Fa-f\s]*)>$/.exec(gap);
    if (!hex) throw new Error(`ByteRange [${a} ${b} ${c} ${d}] does not leave exactly the /Contents hex string out`);
    const padded = new Uint8Array(Buffer.from(hex[1]!.replace(/\s+/g, ''), 'hex'));
    // The hex string is zero-padded to its reserved size; the CMS ends where its DER element ends.
    const parsed = asn1js.fromBER(padded);
    const cms = parsed.offset > 0 ? padded.slice(0, parsed.offset) : padded;
    const objectStart = Math.max(0, text.lastIndexOf(' obj', match.index));
    const objectEnd = text.indexOf('endobj', c);
    const subFilter = /\/SubFilter\s*\/([A-Za-z0-9.]+)/.exec(text.slice(objectStart, objectEnd === -1 ? undefined : objectEnd))?.[1] ?? null;
    signatures.push({
      byteRange: [a, b, c, d],
      cms,
      signedContent: new Uint8Array(Buffer.concat([file.subarray(a, a + b), file.subarray(c, c + d)])),
      subFilter,
      coversWholeDocument: c + d === file.length,
    });
  }
  return signatures;
}
