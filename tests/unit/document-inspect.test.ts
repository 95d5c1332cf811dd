import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_DOCX_LIMITS,
  detectFileType,
  DtdScanner,
  decodeXmp,
  extractPdfText,
  inspectDocx,
  parsePdfaId,
  type DetectedType,
  type DocxInspection,
} from '../../src/modules/documents/inspect.ts';
import { sharedFixtures } from '../support/paths.ts';

const documents = path.join(sharedFixtures, 'documents');
const fixture = (name: string): string => path.join(documents, name);

interface ManifestFile {
  file: string;
  slot: 'pdf' | 'docx';
  expected: 'accept' | 'reject';
}
const manifest = JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')) as { files: ManifestFile[] };

const tempDir = mkdtempSync(path.join(os.tmpdir(), 'document-inspect-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// A minimal ZIP writer, so the tests can build packages no real tool would write (lying sizes, '..').

interface ZipInput {
  name: string;
  data: Buffer;
  /** 8 = deflate (default), 0 = stored. */
  method?: 0 | 8;
  /** Override the uncompressed size written to the headers (a lie). */
  declaredSize?: number;
  /** Extra general purpose bits, e.g. 1 = "encrypted". */
  flags?: number;
  /** Raw compressed bytes to write instead of deflating data. */
  rawCompressed?: Buffer;
}

function buildZip(inputs: ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const input of inputs) {
    const method = input.method ?? 8;
    const compressed = input.rawCompressed ?? (method === 8 ? deflateRawSync(input.data) : input.data);
    const name = Buffer.from(input.name, 'utf8');
    const flags = 0x0800 | (input.flags ?? 0); // UTF-8 names
    const size = input.declaredSize ?? input.data.length;
    const crc = crc32(input.data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0, 10); // DOS time/date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(inputs.length, 8);
  end.writeUInt16LE(inputs.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

let counter = 0;
function writeTemp(data: Buffer, extension = 'docx'): string {
  const file = path.join(tempDir, `test-${++counter}.${extension}`);
  writeFileSync(file, data);
  return file;
}

/** The entries of a good fixture, to be altered and repacked. */
async function fixtureEntries(name: string): Promise<ZipInput[]> {
  const zip = await yauzl.openPromise(fixture(name), { lazyEntries: true });
  const entries: ZipInput[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
      entries.push({ name: entry.fileName, data: Buffer.concat(chunks) });
    }
  } finally {
    zip.close();
  }
  return entries;
}

async function repack(alter: (entries: ZipInput[]) => ZipInput[]): Promise<string> {
  return writeTemp(buildZip(alter(await fixtureEntries('good/tz.docx'))));
}

function replaceEntry(entries: ZipInput[], name: string, change: (data: string) => string): ZipInput[] {
  return entries.map((entry) => (entry.name === name ? { ...entry, data: Buffer.from(change(entry.data.toString('utf8')), 'utf8') } : entry));
}

function expectRefused(result: DocxInspection, ...reasons: string[]): void {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  if (!result.ok) {
    for (const reason of reasons) expect(result.reasons).toContain(reason);
    expect(result.detail).not.toBe('');
  }
}

const BILLION_LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>';

// ---------------------------------------------------------------------------------------------

describe('detectFileType', () => {
  const expected: Record<string, DetectedType> = {
    'good/tz.docx': 'docx',
    'good/tz.pdfa1.pdf': 'pdf',
    'good/akt-oe.docx': 'docx',
    'good/akt-oe.pdfa1.pdf': 'pdf',
    'good/akt-vvod-kk.docx': 'docx',
    'good/akt-vvod-kk.pdfa1.pdf': 'pdf',
    'bad/tz.plain-pdf-1.6.pdf': 'pdf',
    'bad/tz.pdfa-2b.pdf': 'pdf',
    'bad/tz.truncated.pdf': 'pdf',
    'bad/akt-oe.encrypted.pdf': 'pdf',
    'bad/empty.pdf': 'empty',
    'bad/random-bytes.pdf': 'unknown',
    'bad/docx-bytes-named.pdf': 'docx',
    'bad/pdf-bytes-named.docx': 'pdf',
    'bad/plain-zip-not-docx.docx': 'zip',
    'bad/legacy-word-97.doc': 'ole',
    'bad/zip-bomb.docx': 'docx',
  };

  it('has an expectation for every fixture in the manifest', () => {
    expect(manifest.files.map((f) => f.file).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [file, type] of Object.entries(expected)) {
    it(`${file} is ${type}`, async () => {
      expect(await detectFileType(fixture(file))).toBe(type);
    });
  }

  it('finds %PDF- after leading junk within the first 1024 bytes, but not beyond', async () => {
    const pdf = readFileSync(fixture('good/tz.pdfa1.pdf'));
    expect(await detectFileType(writeTemp(Buffer.concat([Buffer.alloc(1000, 0x20), pdf]), 'bin'))).toBe('pdf');
    expect(await detectFileType(writeTemp(Buffer.concat([Buffer.alloc(1100, 0x20), pdf]), 'bin'))).toBe('unknown');
  });

  it('reports a macro-enabled package as docx and a broken ZIP as zip', async () => {
    const docm = await repack((entries) =>
      replaceEntry(entries, '[Content_Types].xml', (xml) =>
        xml.replace('application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml', 'application/vnd.ms-word.document.macroEnabled.main+xml'),
      ),
    );
    expect(await detectFileType(docm)).toBe('docx');
    const truncated = readFileSync(fixture('good/tz.docx')).subarray(0, 3000);
    expect(await detectFileType(writeTemp(truncated))).toBe('zip');
  });
});

describe('inspectDocx: fixtures', () => {
  const goods: Array<[string, string[]]> = [
    ['good/tz.docx', ['ТЕХНИЧЕСКОЕ ЗАДАНИЕ', 'Электронный реестр разрешительных документов', 'Қазақ тіліндегі қысқаша сипаттама']],
    ['good/akt-oe.docx', ['АКТ', 'о завершении опытной эксплуатации']],
    ['good/akt-vvod-kk.docx', ['АКТІ', 'ақпараттық жүйесін']],
  ];
  for (const [file, words] of goods) {
    it(`accepts ${file} and extracts its text`, async () => {
      const result = await inspectDocx(fixture(file));
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (!result.ok) return;
      for (const word of words) expect(result.text).toContain(word);
      expect(result.entries).toBe(10);
      expect(result.uncompressedBytes).toBeGreaterThan(10_000);
      expect(result.text).not.toMatch(/[ \t]{2,}|\n{3,}/); // whitespace normalised
    });
  }

  it('decides by content: a DOCX named .pdf is accepted as a DOCX', async () => {
    const result = await inspectDocx(fixture('bad/docx-bytes-named.pdf'));
    expect(result.ok).toBe(true);
  });

  const bads: Array<[string, string]> = [
    ['bad/pdf-bytes-named.docx', 'not_docx_pdf'],
    ['bad/plain-zip-not-docx.docx', 'not_wordprocessingml'],
    ['bad/legacy-word-97.doc', 'legacy_doc'],
    ['bad/empty.pdf', 'empty'],
    ['bad/random-bytes.pdf', 'not_zip'],
    ['good/tz.pdfa1.pdf', 'not_docx_pdf'],
  ];
  for (const [file, reason] of bads) {
    it(`refuses ${file}: ${reason}`, async () => {
      const result = await inspectDocx(fixture(file));
      expectRefused(result, reason);
      if (!result.ok) expect(result.reasons).toEqual([reason]);
    });
  }

  it('every docx-slot fixture gets the verdict the manifest expects', async () => {
    for (const file of manifest.files.filter((f) => f.slot === 'docx')) {
      const result = await inspectDocx(fixture(file.file));
      expect(result.ok, file.file).toBe(file.expected === 'accept');
    }
  });

  it('refuses the zip bomb from its central directory, fast and without inflating it', async () => {
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const result = await inspectDocx(fixture('bad/zip-bomb.docx'));
    const elapsedMs = performance.now() - started;
    const rssGrowth = process.memoryUsage().rss - rssBefore;

    expectRefused(result, 'too_large_uncompressed', 'compression_ratio');
    expect(elapsedMs).toBeLessThan(2000);
    expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
    console.info(`zip-bomb.docx refused in ${elapsedMs.toFixed(1)} ms, RSS growth ${(rssGrowth / 1024 / 1024).toFixed(1)} MiB`);
  });

  it('the default limits are those documented', () => {
    expect(DEFAULT_DOCX_LIMITS).toEqual({
      maxEntries: 2000,
      maxTotalUncompressedBytes: 200 * 1024 * 1024,
      maxEntryUncompressedBytes: 100 * 1024 * 1024,
      maxCompressionRatio: 100,
      maxXmlBytesForText: 32 * 1024 * 1024,
    });
  });
});

describe('inspectDocx: synthetic packages', () => {
  it('accepts a faithful repack of a good fixture (the test ZIP writer is sound)', async () => {
    const result = await inspectDocx(await repack((entries) => entries));
    expect(result.ok, JSON.stringify(result)).toBe(true);
  });

  it('refuses a DOCTYPE/ENTITY in word/document.xml', async () => {
    const file = await repack((entries) =>
      replaceEntry(entries, 'word/document.xml', (xml) => xml.replace(/^<\?xml[^>]*\?>/, BILLION_LAUGHS).replace('ТЕХНИЧЕСКОЕ', '&lol3;')),
    );
    expectRefused(await inspectDocx(file), 'xml_entities');
  });

  it('refuses a DTD in [Content_Types].xml and in _rels/.rels', async () => {
    for (const part of ['[Content_Types].xml', '_rels/.rels']) {
      const file = await repack((entries) => replaceEntry(entries, part, (xml) => xml.replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd">')));
      expectRefused(await inspectDocx(file), 'xml_entities');
    }
  });

  it('refuses a DTD hidden in a UTF-16 XML part', async () => {
    const file = await repack((entries) =>
      entries.map((entry) =>
        entry.name === 'word/styles.xml'
          ? { ...entry, data: Buffer.from(`\ufeff<?xml version="1.0" encoding="UTF-16"?><!doctype x [<!ENTITY a "a">]><x/>`, 'utf16le') }
          : entry,
      ),
    );
    expectRefused(await inspectDocx(file), 'xml_entities');
  });

  it('DtdScanner finds a declaration split across chunks', () => {
    const text = Buffer.from('<w:t>text</w:t><!DOCTYPE x>');
    for (let cut = 1; cut < text.length; cut++) {
      const scanner = new DtdScanner();
      const found = scanner.push(text.subarray(0, cut)) || scanner.push(text.subarray(cut));
      expect(found, `cut at ${cut}`).toBe(true);
    }
    expect(new DtdScanner().push(Buffer.from('<!-- a comment --><![CDATA[x]]><w:document/>'))).toBe(false);
  });

  it('refuses a macro-enabled main document', async () => {
    const file = await repack((entries) =>
      replaceEntry(entries, '[Content_Types].xml', (xml) =>
        xml.replace('application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml', 'application/vnd.ms-word.document.macroEnabled.main+xml'),
      ),
    );
    expectRefused(await inspectDocx(file), 'macro_enabled');
  });

  it('refuses a vbaProject.bin part even under a plain DOCX content type', async () => {
    const file = await repack((entries) => [...entries, { name: 'word/vbaProject.bin', data: Buffer.from('not really VBA') }]);
    expectRefused(await inspectDocx(file), 'macro_enabled');
  });

  it('refuses a declared VBA project content type', async () => {
    const file = await repack((entries) =>
      replaceEntry(entries, '[Content_Types].xml', (xml) => xml.replace('</Types>', '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')),
    );
    expectRefused(await inspectDocx(file), 'macro_enabled');
  });

  it('refuses too many entries, from the end record before walking them', async () => {
    const entries = Array.from({ length: DEFAULT_DOCX_LIMITS.maxEntries + 1 }, (_, i) => ({ name: `f/${i}.txt`, data: Buffer.from('x'), method: 0 as const }));
    const result = await inspectDocx(writeTemp(buildZip(entries)));
    expectRefused(result, 'too_many_entries');
    expectRefused(await inspectDocx(fixture('good/tz.docx'), { ...DEFAULT_DOCX_LIMITS, maxEntries: 5 }), 'too_many_entries');
  });

  it('refuses a highly compressed entry even when its size is within limits', async () => {
    const file = await repack((entries) => [...entries, { name: 'word/media/blank.bin', data: Buffer.alloc(4 * 1024 * 1024) }]);
    const result = await inspectDocx(file);
    expectRefused(result, 'compression_ratio');
    if (!result.ok) expect(result.reasons).not.toContain('too_large_uncompressed');
  });

  it('refuses an XML part larger than mammoth may parse', async () => {
    const result = await inspectDocx(fixture('good/tz.docx'), { ...DEFAULT_DOCX_LIMITS, maxXmlBytesForText: 10_000 });
    expectRefused(result, 'too_large_uncompressed');
  });

  it('stops inflating an entry that lies about its size, without unbounded memory', async () => {
    // 100 MiB of XML in ~100 KiB of deflate, declared as 4000 bytes: the directory looks harmless.
    const compressed = deflateRawSync(Buffer.alloc(100 * 1024 * 1024, 'A'));
    const file = await repack((entries) =>
      entries.map((entry) => (entry.name === 'word/document.xml' ? { ...entry, data: Buffer.alloc(0), rawCompressed: compressed, declaredSize: 4000 } : entry)),
    );
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const result = await inspectDocx(file);
    const elapsedMs = performance.now() - started;
    expectRefused(result, 'corrupt');
    expect(elapsedMs).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
  });

  it('refuses a stored entry whose sizes disagree', async () => {
    const file = await repack((entries) => entries.map((entry) => (entry.name === 'word/styles.xml' ? { ...entry, method: 0 as const, declaredSize: 10 } : entry)));
    expectRefused(await inspectDocx(file), 'corrupt');
  });

  it('refuses encrypted entries', async () => {
    const file = await repack((entries) => entries.map((entry) => (entry.name === 'word/document.xml' ? { ...entry, flags: 1 } : entry)));
    expectRefused(await inspectDocx(file), 'encrypted');
  });

  it('refuses path traversal and absolute names', async () => {
    for (const name of ['../evil.xml', 'word/../../evil.xml', '/etc/evil.xml']) {
      const file = await repack((entries) => [...entries, { name, data: Buffer.from('<x/>') }]);
      expectRefused(await inspectDocx(file), 'corrupt');
    }
  });

  it('refuses duplicate entry names', async () => {
    const file = await repack((entries) => [...entries, { name: 'WORD/document.xml', data: Buffer.from('<x/>') }]);
    expectRefused(await inspectDocx(file), 'corrupt');
  });

  it('refuses a package whose main part is missing or is not a Word document', async () => {
    const missing = await repack((entries) => entries.filter((entry) => entry.name !== 'word/document.xml'));
    expectRefused(await inspectDocx(missing), 'not_wordprocessingml');

    const spreadsheet = await repack((entries) =>
      replaceEntry(entries, '[Content_Types].xml', (xml) =>
        xml.replace('application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml'),
      ),
    );
    expectRefused(await inspectDocx(spreadsheet), 'not_wordprocessingml');
    expect(await detectFileType(spreadsheet)).toBe('zip');
  });

  it('refuses damaged deflate data and a truncated ZIP as corrupt, never throwing', async () => {
    const damaged = await repack((entries) => entries.map((entry) => (entry.name === 'word/document.xml' ? { ...entry, rawCompressed: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]) } : entry)));
    expectRefused(await inspectDocx(damaged), 'corrupt');
    const truncated = writeTemp(readFileSync(fixture('good/tz.docx')).subarray(0, 3000));
    expectRefused(await inspectDocx(truncated), 'corrupt');
  });
});

describe('extractPdfText', () => {
  const goods: Array<[string, string]> = [
    ['good/tz.pdfa1.pdf', 'ТЕХНИЧЕСКОЕ ЗАДАНИЕ'],
    ['good/akt-oe.pdfa1.pdf', 'опытной эксплуатации'],
    ['good/akt-vvod-kk.pdfa1.pdf', 'ақпараттық жүйесін'],
  ];
  for (const [file, word] of goods) {
    it(`reads ${file}: text, pages and the declared PDF/A-1a`, async () => {
      const result = await extractPdfText(fixture(file));
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (!result.ok) return;
      expect(result.pages).toBeGreaterThanOrEqual(1);
      expect(result.text).toContain(word);
      expect(result.declaredPdfa).toEqual({ part: 1, conformance: 'A' });
    });
  }

  it('reports the PDF/A-2b declaration of tz.pdfa-2b.pdf', async () => {
    const result = await extractPdfText(fixture('bad/tz.pdfa-2b.pdf'));
    expect(result).toMatchObject({ ok: true, declaredPdfa: { part: 2, conformance: 'B' } });
  });

  it('reports no declaration for an ordinary PDF', async () => {
    const result = await extractPdfText(fixture('bad/tz.plain-pdf-1.6.pdf'));
    expect(result).toMatchObject({ ok: true, declaredPdfa: null });
  });

  it('refuses the password-protected PDF as encrypted', async () => {
    const result = await extractPdfText(fixture('bad/akt-oe.encrypted.pdf'));
    expect(result).toMatchObject({ ok: false, reason: 'encrypted' });
  });

  // pdf.js tries to rebuild a damaged cross-reference table, but the catalog of this one is past the cut.
  for (const file of ['bad/tz.truncated.pdf', 'bad/random-bytes.pdf', 'bad/empty.pdf', 'bad/docx-bytes-named.pdf']) {
    it(`${file} is unreadable`, async () => {
      const result = await extractPdfText(fixture(file));
      expect(result).toMatchObject({ ok: false, reason: 'unreadable' });
    });
  }

  it('caps the text', async () => {
    const result = await extractPdfText(fixture('good/tz.pdfa1.pdf'), { maxTextChars: 10 });
    expect(result.ok && result.text.length).toBe(10);
  });
});

describe('parsePdfaId', () => {
  it('reads attribute and element forms under any prefix', () => {
    expect(parsePdfaId('<rdf:Description xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="1" pdfaid:conformance="B"/>')).toEqual({ part: 1, conformance: 'B' });
    expect(parsePdfaId('<rdf:Description xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part>2</pdfaid:part><pdfaid:conformance>U</pdfaid:conformance></rdf:Description>')).toEqual({ part: 2, conformance: 'U' });
    expect(parsePdfaId("<rdf:Description xmlns:id='http://www.aiim.org/pdfa/ns/id/' id:part='4'/>")).toEqual({ part: 4, conformance: null });
    expect(parsePdfaId('<x:xmpmeta/>')).toBeNull();
    expect(parsePdfaId(null)).toBeNull();
  });
});

describe('XMP in its other encodings (XMP part 1, 7.3)', () => {
  const packet = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="1" pdfaid:conformance="B"/></x:xmpmeta>';
  const utf32 = (text: string, littleEndian: boolean) =>
    Buffer.concat([...text].map((c) => {
      const b = Buffer.alloc(4);
      if (littleEndian) b.writeUInt32LE(c.codePointAt(0)!);
      else b.writeUInt32BE(c.codePointAt(0)!);
      return b;
    }));

  it.each([
    ['UTF-8', Buffer.from(packet, 'utf8')],
    ['UTF-16LE', Buffer.from(packet, 'utf16le')],
    ['UTF-16BE', Buffer.from(packet, 'utf16le').swap16()],
    ['UTF-16BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(packet, 'utf16le').swap16()])],
    ['UTF-32LE', utf32(packet, true)],
    ['UTF-32BE', utf32(packet, false)],
  ])('reads the PDF/A identification from %s', (_name, bytes) => {
    expect(parsePdfaId(decodeXmp(bytes))).toEqual({ part: 1, conformance: 'B' });
  });

  it('finds the declared PDF/A-1b in the corpus files whose XMP is UTF-16 or UTF-32', async () => {
    const dir = path.join(sharedFixtures, 'pdfa-corpus', 'PDF_A-1b', '6.7_Metadata', '6.7.9_Validation');
    for (const suffix of ['e', 'g', 'q', 's']) {
      const result = await extractPdfText(path.join(dir, `veraPDF_test_suite_6-7-9-t04-pass-${suffix}.pdf`));
      expect(result.ok && result.declaredPdfa, suffix).toEqual({ part: 1, conformance: 'B' });
    }
  });
});
