import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flavourOfProfile, parseVeraPdfJson, VeraPdfFailedError, type VeraPdfReport } from '../../src/modules/documents/verapdf.ts';

// Captured from veraPDF 1.28.2 runs on ../shared/fixtures/documents with the adapter's flags
// (the non-compliant one with --maxfailuresdisplayed 2 to keep it small; the out-of-memory one
// with VERAPDF_JAVA_OPTS=-Xmx10m).
function sample(name: string): string {
  return readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');
}

function only(text: string): VeraPdfReport {
  const reports = parseVeraPdfJson(text);
  expect(reports).toHaveLength(1);
  return reports[0]!;
}

describe('parseVeraPdfJson', () => {
  it('reads a compliant PDF/A-1a report', () => {
    const report = only(sample('compliant-pdfa-1a.json'));
    expect(report).toMatchObject({
      file: '/work/shared/fixtures/documents/good/tz.pdfa1.pdf',
      compliant: true,
      profileName: 'PDF/A-1A validation profile',
      flavour: '1a',
      jobEndStatus: 'normal',
      statement: 'PDF file is compliant with Validation Profile requirements.',
      counts: { passedRules: 135, failedRules: 0, passedChecks: 9335, failedChecks: 0 },
      failedRules: [],
      problem: null,
      exceptionMessage: null,
    });
    expect(report.raw).toHaveProperty('itemDetails.size', 67564);
    expect(report.raw).toHaveProperty('validationResult');
  });

  it('keeps every failed rule with its exact count although veraPDF lists only a few checks of each', () => {
    const report = only(sample('not-compliant-plain-pdf.json'));
    expect(report.compliant).toBe(false);
    expect(report.flavour).toBe('1b');
    expect(report.counts).toEqual({ passedRules: 124, failedRules: 5, passedChecks: 5958, failedChecks: 155 });
    expect(report.failedRules).toHaveLength(report.counts.failedRules);
    expect(report.failedRules.reduce((sum, rule) => sum + rule.failedChecks, 0)).toBe(report.counts.failedChecks);

    const deviceRgb = report.failedRules.find((rule) => rule.clause === '6.2.3.3');
    expect(deviceRgb).toMatchObject({
      specification: 'ISO 19005-1:2005',
      testNumber: 1,
      failedChecks: 151,
      object: 'PDDeviceRGB',
    });
    expect(deviceRgb?.description).toMatch(/DeviceRGB/);
    expect(deviceRgb?.examples).toHaveLength(2);

    const title = report.failedRules.find((rule) => rule.clause === '6.7.3' && rule.testNumber === 2);
    expect(title?.examples).toEqual([
      {
        context: 'root/trailer[0]/Info[0]',
        errorMessage: expect.stringContaining('Info /Title = Техническое задание'),
      },
    ]);
  });

  it('gives no verdict for an encrypted file and says why', () => {
    const report = only(sample('encrypted.json'));
    expect(report).toMatchObject({
      compliant: null,
      profileName: null,
      flavour: null,
      jobEndStatus: null,
      counts: { passedRules: 0, failedRules: 0, passedChecks: 0, failedChecks: 0 },
      failedRules: [],
      problem: 'encrypted',
    });
    expect(report.exceptionMessage).toMatch(/encrypted PDF with unknown or wrong password/);
    expect(report.raw).toHaveProperty('taskException.type', 'PARSE');
  });

  it('gives no verdict for a file veraPDF cannot parse', () => {
    const report = only(sample('truncated.json'));
    expect(report.compliant).toBeNull();
    expect(report.problem).toBe('unparseable');
    expect(report.exceptionMessage).toMatch(/startxref/);
  });

  it('tells running out of memory apart from a bad file', () => {
    const report = only(sample('out-of-memory.json'));
    expect(report.compliant).toBeNull();
    expect(report.problem).toBe('out_of_memory');
    expect(report.exceptionMessage).toMatch(/Java heap space/);
  });

  it('gives no verdict when veraPDF stopped validating early', () => {
    const text = sample('compliant-pdfa-1a.json').replace('"jobEndStatus" : "normal"', '"jobEndStatus" : "timeout"');
    const report = only(text);
    expect(report.compliant).toBeNull();
    expect(report.jobEndStatus).toBe('timeout');
    expect(report.problem).toBe('incomplete');
    expect(report.exceptionMessage).toMatch(/timeout/);
    expect(report.flavour).toBe('1a');
  });

  it('reads one report per job', () => {
    const compliant = JSON.parse(sample('compliant-pdfa-1a.json')) as { report: { jobs: unknown[] } };
    const encrypted = JSON.parse(sample('encrypted.json')) as { report: { jobs: unknown[] } };
    compliant.report.jobs.push(...encrypted.report.jobs);
    const reports = parseVeraPdfJson(JSON.stringify(compliant));
    expect(reports.map((report) => report.compliant)).toEqual([true, null]);
  });

  it('accepts the single-object validationResult of older releases', () => {
    const document = JSON.parse(sample('compliant-pdfa-1a.json')) as { report: { jobs: Array<{ validationResult: unknown[] }> } };
    const job = document.report.jobs[0]!;
    job.validationResult = job.validationResult[0] as unknown as unknown[];
    expect(only(JSON.stringify(document)).compliant).toBe(true);
  });

  it('rejects output that is not a veraPDF JSON report', () => {
    expect(() => parseVeraPdfJson('')).toThrow(VeraPdfFailedError);
    expect(() => parseVeraPdfJson('<?xml version="1.0"?><report/>')).toThrow(/not JSON/);
    expect(() => parseVeraPdfJson('{"jobs": []}')).toThrow(/not a veraPDF report/);
    expect(() => parseVeraPdfJson('{"report": {"jobs": [{"validationResult": [{"compliant": "yes"}]}]}}')).toThrow(/unexpected shape/);
    let caught: unknown;
    try {
      parseVeraPdfJson('not json');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(VeraPdfFailedError);
    expect(caught).toHaveProperty('code', 'VERAPDF_FAILED');
  });
});

describe('flavourOfProfile', () => {
  it.each([
    ['PDF/A-1A validation profile', '1a'],
    ['PDF/A-1B validation profile', '1b'],
    ['PDF/A-2U validation profile', '2u'],
    ['PDF/A-3B validation profile', '3b'],
    ['PDF/A-4 validation profile', '4'],
    ['PDF/A-4F validation profile', '4f'],
    ['PDF/UA-1 validation profile', null],
    ['WTPDF 1.0 Reuse validation profile', null],
    ['PDF/A-2X validation profile', null],
  ])('%s → %s', (profileName, flavour) => {
    expect(flavourOfProfile(profileName)).toBe(flavour);
  });
});
