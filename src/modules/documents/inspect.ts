/**
 * Content-based inspection of uploaded technical documents: what a file really is (magic bytes and
 * structure, never its name or the client's MIME type), whether a DOCX draft is safe to open, and the
 * text and declared PDF/A identification of a PDF original.
 *
 * A DOCX is a ZIP, so it is checked in order of cost: the first bytes, then the ZIP central directory
 * (declared sizes, ratios, encryption, names), then the package structure, then every entry is inflated
 * once as a stream with byte counting (declared sizes can lie) and every XML part is scanned for DTDs.
 * Only a package that passes all of that is handed to mammoth, which reads the whole ZIP into memory.
 *
 * PDF/A validation proper is veraPDF's job (verapdf.ts); extractPdfText only reports what the file
 * declares about itself.
 */
import { open, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import mammoth from 'mammoth';
import { PasswordException, PDFParse, VerbosityLevel } from 'pdf-parse';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';

// ---------------------------------------------------------------------------------------------
// File type

export type DetectedType = 'empty' | 'pdf' | 'docx' | 'zip' | 'ole' | 'unknown';

/** How far into the file '%PDF-' may start: pdf.js and Acrobat accept a header within the first 1024 bytes. */
const PDF_HEADER_WINDOW = 1024;
const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
/** A local file header (an ordinary ZIP) or an end-of-central-directory record (an empty ZIP). */
const ZIP_MAGICS = [Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from([0x50, 0x4b, 0x05, 0x06])];

type Magic = 'empty' | 'pdf' | 'zip' | 'ole' | 'unknown';

/** The type the first bytes show. Signatures at offset 0 win over a '%PDF-' found further in. */
async function sniff(filePath: string): Promise<Magic> {
  const handle = await open(filePath, 'r');
  try {
    const head = Buffer.alloc(PDF_HEADER_WINDOW);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead === 0) return 'empty';
    const bytes = head.subarray(0, bytesRead);
    if (startsWith(bytes, OLE_MAGIC)) return 'ole';
    if (ZIP_MAGICS.some((magic) => startsWith(bytes, magic))) return 'zip';
    if (bytes.indexOf(PDF_MAGIC) !== -1) return 'pdf';
    return 'unknown';
  } finally {
    await handle.close();
  }
}

function startsWith(bytes: Buffer, magic: Buffer): boolean {
  return bytes.length >= magic.length && bytes.subarray(0, magic.length).equals(magic);
}

/**
 * Reads only the first bytes (and, for a ZIP, its central directory and [Content_Types].xml) — never
 * the whole file into memory. A ZIP whose directory cannot be read is still reported as 'zip'.
 */
export async function detectFileType(filePath: string): Promise<DetectedType> {
  const magic = await sniff(filePath);
  if (magic !== 'zip') return magic;
  let zip: ZipFile | undefined;
  try {
    zip = await openZip(filePath);
    if (zip.entryCount > DEFAULT_DOCX_LIMITS.maxEntries) return 'zip';
    for await (const entry of zip.eachEntry()) {
      if (!isName(entry, CONTENT_TYPES_PART)) continue;
      if (!entry.canDecodeFileData() || entry.uncompressedSize > MAX_PACKAGE_XML_BYTES) return 'zip';
      const { bytes } = await readEntry(zip, entry, { maxBytes: MAX_PACKAGE_XML_BYTES, capture: true });
      const types = parseContentTypes(bytes.toString('utf8'));
      const all = [...types.overrides.values(), ...types.defaults.values()];
      return all.some((type) => type === WORD_MAIN || type === WORD_MACRO_MAIN) ? 'docx' : 'zip';
    }
    return 'zip';
  } catch {
    return 'zip';
  } finally {
    zip?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// DOCX

export interface DocxLimits {
  maxEntries: number;
  maxTotalUncompressedBytes: number;
  maxEntryUncompressedBytes: number;
  maxCompressionRatio: number;
  /** Largest XML part mammoth may parse: it builds a full DOM, several times the XML's size. */
  maxXmlBytesForText: number;
}

const MiB = 1024 * 1024;

/**
 * Real drafts are 10–300 entries and a few MiB; scanned images inside can reach tens of MiB. Deflate
 * tops out near 1000:1, ordinary XML compresses 5–20:1, so 100:1 on anything above 1 MiB is a bomb.
 */
export const DEFAULT_DOCX_LIMITS: DocxLimits = Object.freeze({
  maxEntries: 2000,
  maxTotalUncompressedBytes: 200 * MiB,
  maxEntryUncompressedBytes: 100 * MiB,
  maxCompressionRatio: 100,
  maxXmlBytesForText: 32 * MiB,
});

/** Small entries are exempt from the ratio rule: a 200 KiB run of blank XML may legitimately compress 300:1. */
export const COMPRESSION_RATIO_MIN_BYTES = 1 * MiB;

/** [Content_Types].xml and _rels/.rels are read into strings; even with 2000 entries they stay far below this. */
const MAX_PACKAGE_XML_BYTES = 2 * MiB;

const CONTENT_TYPES_PART = '[Content_Types].xml';
const PACKAGE_RELS_PART = '_rels/.rels';
const WORD_MAIN = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml';
const WORD_MACRO_MAIN = 'application/vnd.ms-word.document.macroenabled.main+xml';
const VBA_PROJECT = 'application/vnd.ms-office.vbaproject';
/** Transitional and Strict OOXML spell the package's main-part relationship differently. */
const OFFICE_DOCUMENT_RELS = new Set([
  'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument',
  'http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument',
]);

export type DocxReason =
  | 'empty'
  | 'not_docx_pdf'
  | 'legacy_doc'
  | 'not_zip'
  | 'not_wordprocessingml'
  | 'macro_enabled'
  | 'too_many_entries'
  | 'too_large_uncompressed'
  | 'compression_ratio'
  | 'xml_entities'
  | 'encrypted'
  | 'corrupt';

export type DocxInspection =
  | { ok: true; text: string; entries: number; uncompressedBytes: number }
  | { ok: false; reasons: DocxReason[]; detail: string };

/** A refusal found while reading, carried out of nested helpers to the single result builder. */
class Refusal extends Error {
  readonly reasons: DocxReason[];
  constructor(reasons: DocxReason | DocxReason[], detail: string) {
    super(detail);
    this.reasons = Array.isArray(reasons) ? reasons : [reasons];
  }
}

export async function inspectDocx(filePath: string, limits: Partial<DocxLimits> = DEFAULT_DOCX_LIMITS): Promise<DocxInspection> {
  const bounds: DocxLimits = { ...DEFAULT_DOCX_LIMITS, ...limits };
  let zip: ZipFile | undefined;
  try {
    const magic = await sniff(filePath);
    if (magic === 'empty') throw new Refusal('empty', 'the file is empty');
    if (magic === 'pdf') throw new Refusal('not_docx_pdf', 'the file is a PDF, not a DOCX');
    if (magic === 'ole') throw new Refusal('legacy_doc', 'the file is an OLE2 compound file (legacy .doc), not a DOCX');
    if (magic !== 'zip') throw new Refusal('not_zip', 'the file is not a ZIP package');

    zip = await openZip(filePath).catch((error: unknown) => {
      throw new Refusal('corrupt', `unreadable ZIP: ${message(error)}`);
    });
    const entries = await walkDirectory(zip, bounds);
    await checkStructure(zip, entries);
    const uncompressedBytes = await verifyEntries(zip, entries, bounds);
    zip.close();
    zip = undefined;

    const { value } = await mammoth.extractRawText({ path: filePath });
    return { ok: true, text: normalizeText(value), entries: entries.length, uncompressedBytes };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reasons: error.reasons, detail: error.message };
    return { ok: false, reasons: ['corrupt'], detail: `cannot read the document: ${message(error)}` };
  } finally {
    zip?.close();
  }
}

function openZip(filePath: string): Promise<ZipFile> {
  // strictFileNames stays off (backslashes become '/'), yauzl still refuses absolute and '..' names.
  return yauzl.openPromise(filePath, { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: true });
}

/** Pass 1: the central directory only — nothing is inflated, so a bomb costs nothing here. */
async function walkDirectory(zip: ZipFile, limits: DocxLimits): Promise<Entry[]> {
  // The end-of-central-directory record gives the count before any entry is read.
  if (zip.entryCount > limits.maxEntries) {
    throw new Refusal('too_many_entries', `${zip.entryCount} entries (limit ${limits.maxEntries})`);
  }
  const reasons = new Set<DocxReason>();
  const details: string[] = [];
  const refuse = (reason: DocxReason, detail: string): void => {
    reasons.add(reason);
    if (details.length < 5) details.push(detail);
  };

  const entries: Entry[] = [];
  const seen = new Set<string>();
  let totalUncompressed = 0;
  let totalCompressed = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      entries.push(entry); // yauzl reads exactly entryCount records, already bounded above
      const name = entry.fileName;
      // Two entries with one name let different readers see different packages (OPC names are case-insensitive).
      const key = name.toLowerCase();
      if (seen.has(key)) refuse('corrupt', `duplicate entry ${name}`);
      seen.add(key);
      if (name.startsWith('/') || /^[a-z]:/i.test(name) || name.split('/').includes('..')) refuse('corrupt', `unsafe entry path ${name}`);
      if (entry.isEncrypted()) refuse('encrypted', `entry ${name} is encrypted`);
      else if (!entry.canDecodeFileData() && !isDirectory(entry)) refuse('corrupt', `entry ${name} uses compression method ${entry.compressionMethod}`);
      if (/(^|\/)vbaproject\.bin$/i.test(name)) refuse('macro_enabled', `the package contains a VBA project (${name})`);

      totalUncompressed += entry.uncompressedSize;
      totalCompressed += entry.compressedSize;
      if (entry.uncompressedSize > limits.maxEntryUncompressedBytes) {
        refuse('too_large_uncompressed', `entry ${name} declares ${entry.uncompressedSize} bytes (limit ${limits.maxEntryUncompressedBytes})`);
      } else if (isXmlName(name) && entry.uncompressedSize > limits.maxXmlBytesForText) {
        refuse('too_large_uncompressed', `XML part ${name} declares ${entry.uncompressedSize} bytes (limit ${limits.maxXmlBytesForText})`);
      }
      if (exceedsRatio(entry.uncompressedSize, entry.compressedSize, limits)) {
        refuse('compression_ratio', `entry ${name} inflates ${ratio(entry.uncompressedSize, entry.compressedSize)}:1`);
      }
    }
  } catch (error) {
    // yauzl refuses absolute/'..' names, strong encryption and malformed records while walking.
    const text = message(error);
    refuse(/encrypt/i.test(text) ? 'encrypted' : 'corrupt', text);
  }
  if (totalUncompressed > limits.maxTotalUncompressedBytes) {
    refuse('too_large_uncompressed', `entries declare ${totalUncompressed} bytes in total (limit ${limits.maxTotalUncompressedBytes})`);
  }
  if (exceedsRatio(totalUncompressed, totalCompressed, limits)) {
    refuse('compression_ratio', `the package inflates ${ratio(totalUncompressed, totalCompressed)}:1 overall`);
  }
  if (reasons.size > 0) throw new Refusal([...reasons], details.join('; '));
  return entries;
}

function exceedsRatio(uncompressed: number, compressed: number, limits: DocxLimits): boolean {
  return uncompressed > COMPRESSION_RATIO_MIN_BYTES && uncompressed / Math.max(compressed, 1) > limits.maxCompressionRatio;
}

function ratio(uncompressed: number, compressed: number): number {
  return Math.round(uncompressed / Math.max(compressed, 1));
}

function isDirectory(entry: Entry): boolean {
  return entry.fileName.endsWith('/') && entry.uncompressedSize === 0;
}

function isXmlName(name: string): boolean {
  return /\.(xml|rels)$/i.test(name);
}

function isName(entry: Entry, partName: string): boolean {
  return entry.fileName.toLowerCase() === partName.toLowerCase();
}

/** Pass 2: the OPC structure — content types, the main part, macros. Reads two small parts only. */
async function checkStructure(zip: ZipFile, entries: Entry[]): Promise<void> {
  const byName = new Map(entries.map((entry) => [entry.fileName.toLowerCase(), entry]));
  const contentTypesEntry = byName.get(CONTENT_TYPES_PART.toLowerCase());
  if (!contentTypesEntry) throw new Refusal('not_wordprocessingml', 'no [Content_Types].xml: not an Office Open XML package');
  const types = parseContentTypes(await readPackageXml(zip, contentTypesEntry));

  const declared = [...types.overrides.values(), ...types.defaults.values()];
  if (declared.some((type) => type.includes('macroenabled') || type === VBA_PROJECT)) {
    throw new Refusal('macro_enabled', 'the package declares macro-enabled or VBA content');
  }

  // The main part is what _rels/.rels points at (as mammoth does), else the Override that declares it.
  let mainPart: string | undefined;
  const relsEntry = byName.get(PACKAGE_RELS_PART);
  if (relsEntry) mainPart = findOfficeDocumentTarget(await readPackageXml(zip, relsEntry));
  mainPart ??= [...types.overrides].find(([, type]) => type === WORD_MAIN)?.[0];
  if (mainPart === undefined) throw new Refusal('not_wordprocessingml', 'the package names no main document part');

  const mainType = types.overrides.get(mainPart) ?? types.defaults.get(extension(mainPart));
  if (mainType !== WORD_MAIN) {
    throw new Refusal('not_wordprocessingml', `main part /${mainPart} has content type ${mainType ?? '(none)'}, not a Word document`);
  }
  if (!byName.has(mainPart)) throw new Refusal('not_wordprocessingml', `main part /${mainPart} is missing from the package`);
}

/** Reads a structural part into a string, refusing an oversized or DTD-carrying one. */
async function readPackageXml(zip: ZipFile, entry: Entry): Promise<string> {
  if (entry.uncompressedSize > MAX_PACKAGE_XML_BYTES) {
    throw new Refusal('too_large_uncompressed', `${entry.fileName} declares ${entry.uncompressedSize} bytes`);
  }
  const { bytes, entities } = await readEntry(zip, entry, { maxBytes: MAX_PACKAGE_XML_BYTES, capture: true, scanEntities: true });
  if (entities) throw new Refusal('xml_entities', `${entry.fileName} contains a DOCTYPE or ENTITY declaration`);
  return bytes.toString('utf8');
}

/** Pass 3: inflate every entry once, counting bytes, and scan XML for DTDs — what mammoth will read is then known to be bounded. */
async function verifyEntries(zip: ZipFile, entries: Entry[], limits: DocxLimits): Promise<number> {
  let total = 0;
  for (const entry of entries) {
    if (isDirectory(entry)) continue;
    const budget = Math.min(limits.maxTotalUncompressedBytes - total, limits.maxEntryUncompressedBytes);
    const { size, entities } = await readEntry(zip, entry, { maxBytes: budget, scanEntities: isXmlName(entry.fileName) });
    if (entities) throw new Refusal('xml_entities', `${entry.fileName} contains a DOCTYPE or ENTITY declaration`);
    total += size;
  }
  return total;
}

interface ReadOptions {
  /** Stop past this many inflated bytes, even if the entry declares more. */
  maxBytes: number;
  /** Keep the bytes (only for parts already known to be small). */
  capture?: boolean;
  scanEntities?: boolean;
}

/**
 * Streams one entry, destroying the stream as soon as it inflates past its declared size or the budget.
 * yauzl's validateEntrySizes catches the declared-size lie too; the own count makes the bound explicit.
 */
async function readEntry(zip: ZipFile, entry: Entry, options: ReadOptions): Promise<{ size: number; bytes: Buffer; entities: boolean }> {
  const limit = Math.min(entry.uncompressedSize, options.maxBytes);
  const chunks: Buffer[] = [];
  const scanner = options.scanEntities ? new DtdScanner() : undefined;
  let size = 0;
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw new Refusal('corrupt', `cannot open ${entry.fileName}: ${message(error)}`);
  }
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > entry.uncompressedSize) throw new Refusal('corrupt', `${entry.fileName} inflates past its declared ${entry.uncompressedSize} bytes`);
      if (size > limit) throw new Refusal('too_large_uncompressed', `${entry.fileName} inflates past ${limit} bytes`);
      if (options.capture) chunks.push(chunk);
      if (scanner?.push(chunk)) return { size, bytes: Buffer.alloc(0), entities: true };
    }
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw new Refusal('corrupt', `cannot inflate ${entry.fileName}: ${message(error)}`);
  } finally {
    stream.destroy(); // also after an early return or throw: stop the inflater
  }
  return { size, bytes: Buffer.concat(chunks), entities: false };
}

/**
 * Finds '<!DOCTYPE' / '<!ENTITY' across chunk boundaries, case-insensitively and also in UTF-16
 * (NUL bytes are dropped), without keeping more than a few bytes between chunks.
 */
export class DtdScanner {
  #tail = '';

  /** True once a declaration is seen. */
  push(chunk: Buffer): boolean {
    const text = this.#tail + chunk.toString('latin1').replaceAll('\0', '').toLowerCase();
    if (text.includes('<!doctype') || text.includes('<!entity')) return true;
    this.#tail = text.slice(-8); // one byte shorter than the longest pattern
    return false;
  }
}

interface ContentTypes {
  /** Part name without the leading '/', lower-cased → content type, lower-cased. */
  overrides: Map<string, string>;
  /** Extension, lower-cased → content type, lower-cased. */
  defaults: Map<string, string>;
}

/** [Content_Types].xml is flat and already DTD-free, so attribute matching is enough; no XML parser needed. */
function parseContentTypes(xml: string): ContentTypes {
  const overrides = new Map<string, string>();
  const defaults = new Map<string, string>();
  for (const match of xml.matchAll(/<(?:[\w.-]+:)?(Override|Default)\b([^>]*)>/g)) {
    const attributes = parseAttributes(match[2] ?? '');
    const type = attributes.get('ContentType')?.trim().toLowerCase();
    if (!type) continue;
    if (match[1] === 'Override') {
      const part = attributes.get('PartName');
      if (part !== undefined) overrides.set(normalizePartName(part), type);
    } else {
      const ext = attributes.get('Extension');
      if (ext !== undefined) defaults.set(ext.toLowerCase(), type);
    }
  }
  return { overrides, defaults };
}

/** The target of the package's officeDocument relationship, as a part name, or undefined. */
function findOfficeDocumentTarget(xml: string): string | undefined {
  for (const match of xml.matchAll(/<(?:[\w.-]+:)?Relationship\b([^>]*)>/g)) {
    const attributes = parseAttributes(match[1] ?? '');
    if (!OFFICE_DOCUMENT_RELS.has(attributes.get('Type') ?? '')) continue;
    if (attributes.get('TargetMode')?.toLowerCase() === 'external') continue;
    const target = attributes.get('Target');
    if (target) return normalizePartName(target);
  }
  return undefined;
}

function parseAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of text.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    attributes.set(match[1] ?? '', decodeXmlText(match[2] ?? match[3] ?? ''));
  }
  return attributes;
}

function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, name: string) => {
    const lower = name.toLowerCase();
    if (lower.startsWith('#x')) return safeCodePoint(Number.parseInt(lower.slice(2), 16), whole);
    if (lower.startsWith('#')) return safeCodePoint(Number.parseInt(lower.slice(1), 10), whole);
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[lower] ?? whole;
  });
}

function safeCodePoint(code: number, fallback: string): string {
  return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

/** OPC part names: relative to the package root, percent-encoded, compared case-insensitively. */
function normalizePartName(name: string): string {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // keep a malformed escape as written; it simply will not match an entry
  }
  const segments: string[] = [];
  for (const segment of decoded.replaceAll('\\', '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return segments.join('/').toLowerCase();
}

function extension(partName: string): string {
  const dot = partName.lastIndexOf('.');
  return dot === -1 || dot < partName.lastIndexOf('/') ? '' : partName.slice(dot + 1);
}

/** Moderate normalisation: unify line ends, collapse runs of blanks, at most one empty line between paragraphs. */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, '')
    .replace(/[\t\f\u00a0\u2000-\u200a\u202f\u205f\u3000 ]+/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// PDF

export type PdfTextResult =
  | { ok: true; text: string; pages: number; declaredPdfa: { part: number; conformance: string | null } | null }
  | { ok: false; reason: 'encrypted' | 'unreadable'; detail: string };

const DEFAULT_MAX_TEXT_CHARS = 2_000_000;
const PDFAID_NAMESPACE = 'http://www.aiim.org/pdfa/ns/id/';
/** An XMP packet is a few KiB; this only bounds the byte-scan fallback. */
const MAX_XMP_CHARS = 1 * MiB;

export async function extractPdfText(filePath: string, options: { maxTextChars?: number } = {}): Promise<PdfTextResult> {
  const maxTextChars = options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
  let data: Buffer;
  try {
    data = await readFile(filePath);
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: `cannot read the file: ${message(error)}` };
  }
  // Scanned before pdf.js runs: pdf.js may take over (detach) the buffer it is given.
  const scannedXmp = findXmpInBytes(data);

  const parser = new PDFParse({
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    // ERRORS is the quietest level: pdf.js would otherwise console.log a "Warning:" per damaged object.
    verbosity: VerbosityLevel.ERRORS,
    isEvalSupported: false, // never compile font programs into JS functions (CVE-2024-4367 class)
    disableFontFace: true,
    useSystemFonts: false,
  });
  try {
    const info = await parser.getInfo();
    // An owner-password-only file opens without a password, but PDF/A forbids any encryption.
    const encryptFilter: unknown = info.info?.EncryptFilterName;
    if (encryptFilter) return { ok: false, reason: 'encrypted', detail: `the PDF is encrypted (${String(encryptFilter)})` };
    // The catalog's XMP as pdf.js found it; the byte scan only when pdf.js found none (it could hit an image's XMP).
    const xmp: unknown = info.metadata?.getRaw();
    const declaredPdfa = parsePdfaId(typeof xmp === 'string' ? decodeXmp(Buffer.from(xmp, 'latin1')) : scannedXmp);
    const result = await parser.getText();
    const text = normalizeText(result.text).slice(0, maxTextChars);
    return { ok: true, text, pages: result.total, declaredPdfa };
  } catch (error) {
    if (error instanceof PasswordException) return { ok: false, reason: 'encrypted', detail: 'the PDF is encrypted with a password' };
    return { ok: false, reason: 'unreadable', detail: `not a readable PDF: ${message(error)}` };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

/**
 * XMP may be serialized as UTF-8, UTF-16 or UTF-32, big- or little-endian (XMP part 1, 7.3); pdf.js
 * hands over the stream's bytes one character each. The encoding shows in the first bytes: a BOM, or
 * where the zero bytes stand around the packet's first "<".
 */
export function decodeXmp(bytes: Buffer): string {
  const at = (i: number) => bytes[i] ?? -1;
  const utf32 = (littleEndian: boolean): string => {
    let out = '';
    for (let i = 0; i + 3 < bytes.length; i += 4) {
      const code = littleEndian ? bytes.readUInt32LE(i) : bytes.readUInt32BE(i);
      out += code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
    }
    return out;
  };
  if (at(0) === 0 && at(1) === 0 && (at(2) === 0xfe || at(2) === 0) ) return utf32(false);
  if (at(2) === 0 && at(3) === 0 && (at(0) === 0xff || at(1) === 0)) return utf32(true);
  if ((at(0) === 0xfe && at(1) === 0xff) || (at(0) === 0 && at(1) !== 0)) return new TextDecoder('utf-16be').decode(bytes);
  if ((at(0) === 0xff && at(1) === 0xfe) || (at(0) !== 0 && at(1) === 0)) return new TextDecoder('utf-16le').decode(bytes);
  return bytes.toString('utf8');
}

const XMP_ENCODINGS: ReadonlyArray<{ encode: (text: string) => Buffer; width: number }> = [
  { encode: (text) => Buffer.from(text, 'latin1'), width: 1 },
  { encode: (text) => Buffer.from(text, 'utf16le'), width: 2 },
  { encode: (text) => Buffer.from(text, 'utf16le').swap16(), width: 2 },
  { encode: (text) => Buffer.from([...text].flatMap((c) => [c.charCodeAt(0), 0, 0, 0])), width: 4 },
  { encode: (text) => Buffer.from([...text].flatMap((c) => [0, 0, 0, c.charCodeAt(0)])), width: 4 },
];

/** PDF/A-1 forbids filtering the metadata stream, so its XMP packet is in the file as it is (in one of XMP's encodings). */
function findXmpInBytes(data: Buffer): string | null {
  for (const { encode, width } of XMP_ENCODINGS) {
    const at = data.indexOf(encode(PDFAID_NAMESPACE));
    if (at === -1) continue;
    const open = data.lastIndexOf(encode('<x:xmpmeta'), at);
    const start = Math.max(open, at - MAX_XMP_CHARS * width, 0);
    const close = encode('</x:xmpmeta>');
    const endTag = data.indexOf(close, at);
    const end = endTag === -1 ? Math.min(data.length, at + MAX_XMP_CHARS * width) : endTag + close.length;
    // Aligned to the start of the packet (or of the namespace), so the decoder sees whole characters.
    const from = open !== -1 && open >= start ? open : at - (((at - start) / width) | 0) * width;
    return decodeXmp(data.subarray(from, Math.min(end, from + 2 * MAX_XMP_CHARS * width)));
  }
  return null;
}

/** pdfaid:part / pdfaid:conformance, written as attributes or as elements, under whatever prefix the namespace is bound to. */
export function parsePdfaId(xmp: string | null): { part: number; conformance: string | null } | null {
  if (!xmp) return null;
  const prefix = /xmlns:([\w.-]+)\s*=\s*["']http:\/\/www\.aiim\.org\/pdfa\/ns\/id\/["']/.exec(xmp)?.[1] ?? 'pdfaid';
  const read = (name: string): string | null => {
    const qname = `${prefix}:${name}`.replace(/[.]/g, '\\.');
    const attribute = new RegExp(`${qname}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(xmp);
    if (attribute) return (attribute[1] ?? attribute[2] ?? '').trim();
    const element = new RegExp(`<${qname}>\\s*([^<]*?)\\s*</${qname}>`).exec(xmp);
    return element ? (element[1] ?? '').trim() : null;
  };
  const part = Number.parseInt(read('part') ?? '', 10);
  if (!Number.isInteger(part) || part <= 0) return null;
  const conformance = read('conformance');
  return { part, conformance: conformance ? conformance : null };
}
