/**
 * What a file is and whether it may stand as a document's PDF/A-1 original or DOCX draft
 * (003 §7). One code path for uploads (the upload route and the check worker) and for the
 * offline `npm run docs:check`: the type is decided by the content, never by the name.
 *
 * Two phases, because the first is quick and the second needs veraPDF:
 *   - precheckFile: the content's type; for a DOCX the whole check (zip-bomb defences, package
 *     structure, macros, then the text); for a PDF only that it is one.
 *   - checkPdfOriginal: the real veraPDF against the PDF/A-1 level the file declares; the text,
 *     page count and declared identification through pdf-parse.
 */
import type { DocumentSlot } from '../../db/database.ts';
import { detectFileType, extractPdfText, inspectDocx, type DetectedType } from './inspect.ts';
import { VeraPdfError, type VeraPdf, type VeraPdfCounts, type VeraPdfFailedRule, type JsonObject } from './verapdf.ts';

/** A stable code (translated under documents.reasons.<code>) with what its message needs. */
export interface CheckReason {
  code: string;
  params?: Record<string, string | number>;
}

export interface Precheck {
  /** The slot the content belongs in, whatever the file is called; null when it is neither. */
  slot: DocumentSlot | null;
  detected: DetectedType;
  /** accepted: a DOCX that passed every check; pending: a PDF that veraPDF still has to check. */
  verdict: 'accepted' | 'rejected' | 'pending';
  reasons: CheckReason[];
  text: string | null;
}

export interface PdfCheck {
  /** error: veraPDF could not give a verdict (crash, timeout, out of memory): check again later. */
  verdict: 'accepted' | 'rejected' | 'error';
  reasons: CheckReason[];
  /** The PDF/A identification the file declares in its XMP metadata, e.g. "1a"; null when none. */
  declaredPdfa: string | null;
  /** The veraPDF profile it was validated against, e.g. "1a". */
  validatedAs: string | null;
  pageCount: number | null;
  text: string | null;
  failedRules: VeraPdfFailedRule[];
  counts: VeraPdfCounts | null;
  /** veraPDF's job report, kept whole as evidence. */
  report: JsonObject | null;
  /** For the log when verdict is error. */
  error: string | null;
  /** With verdict error: veraPDF is not installed or cannot start at all (the file waits, unchecked). */
  unavailable?: boolean;
}

const SLOT_OF_TYPE: Partial<Record<DetectedType, DocumentSlot>> = { pdf: 'pdf', docx: 'docx' };

/** The quick phase; `expectedSlot` is where the user put the file (null: decide from the content). */
export async function precheckFile(filePath: string, expectedSlot: DocumentSlot | null = null): Promise<Precheck> {
  const detected = await detectFileType(filePath);
  const slot = SLOT_OF_TYPE[detected] ?? null;
  const base = { slot, detected, text: null };
  if (detected === 'empty') return { ...base, verdict: 'rejected', reasons: [{ code: 'empty' }] };
  if (expectedSlot === 'pdf' && slot !== 'pdf') return { ...base, verdict: 'rejected', reasons: [{ code: 'pdf_expected', params: { detected } }] };
  if (expectedSlot === 'docx' && slot !== 'docx' && detected !== 'zip') {
    const code = detected === 'ole' ? 'docx_legacy_doc' : detected === 'pdf' ? 'docx_not_docx_pdf' : 'docx_not_zip';
    return { ...base, verdict: 'rejected', reasons: [{ code }] };
  }
  if (slot === 'pdf') return { ...base, verdict: 'pending', reasons: [] };
  // An old binary Word file is a draft in the wrong format: say so, rather than "unknown".
  if (detected === 'ole') return { ...base, slot: 'docx', verdict: 'rejected', reasons: [{ code: 'docx_legacy_doc' }] };
  if (slot === null && detected !== 'zip') return { ...base, verdict: 'rejected', reasons: [{ code: 'unknown_type', params: { detected } }] };

  // A DOCX, or a ZIP that claims to be one.
  const inspection = await inspectDocx(filePath);
  if (!inspection.ok) {
    return { ...base, slot: 'docx', verdict: 'rejected', reasons: inspection.reasons.map((reason) => ({ code: `docx_${reason}` })) };
  }
  return { ...base, slot: 'docx', verdict: 'accepted', reasons: [], text: inspection.text };
}

function flavourOf(declared: { part: number; conformance: string | null }): string {
  return `${declared.part}${(declared.conformance ?? '').toLowerCase()}`;
}

/** The slow phase for a PDF original: veraPDF's verdict, and the text for search. */
export async function checkPdfOriginal(filePath: string, veraPdf: VeraPdf): Promise<PdfCheck> {
  const result: PdfCheck = {
    verdict: 'rejected',
    reasons: [],
    declaredPdfa: null,
    validatedAs: null,
    pageCount: null,
    text: null,
    failedRules: [],
    counts: null,
    report: null,
    error: null,
  };
  // Both read the file on their own; running them side by side keeps the JVM busy while pdf.js parses.
  const [parsed, validation] = await Promise.all([
    extractPdfText(filePath),
    veraPdf.validate(filePath).then(
      (report) => ({ report, error: null }),
      (error: unknown) => ({ report: null, error }),
    ),
  ]);
  if (parsed.ok) {
    result.text = parsed.text;
    result.pageCount = parsed.pages;
    result.declaredPdfa = parsed.declaredPdfa ? flavourOf(parsed.declaredPdfa) : null;
  }

  const { report, error } = validation;
  if (!report) {
    if (error instanceof VeraPdfError) return { ...result, verdict: 'error', error: `${error.code}: ${error.message}`, unavailable: error.code === 'VERAPDF_UNAVAILABLE' };
    throw error;
  }
  result.report = report.raw;
  result.validatedAs = report.flavour;
  result.counts = report.counts;
  result.failedRules = report.failedRules;

  if (report.problem === 'encrypted' || (!parsed.ok && parsed.reason === 'encrypted')) {
    return { ...result, verdict: 'rejected', reasons: [{ code: 'pdf_encrypted' }] };
  }
  if (report.problem === 'unparseable' || (report.compliant === null && !parsed.ok)) {
    return { ...result, verdict: 'rejected', reasons: [{ code: 'pdf_unreadable' }] };
  }
  if (report.compliant === null) {
    // veraPDF's side (out of memory, cut short): the same file may pass on another try.
    return { ...result, verdict: 'error', error: `veraPDF gave no verdict: ${report.problem ?? 'unknown'}: ${report.exceptionMessage ?? ''}` };
  }
  if (!parsed.ok) return { ...result, verdict: 'rejected', reasons: [{ code: 'pdf_unreadable' }] };
  if (result.declaredPdfa === null) return { ...result, verdict: 'rejected', reasons: [{ code: 'not_pdfa1_undeclared' }] };
  if (!result.declaredPdfa.startsWith('1')) {
    return { ...result, verdict: 'rejected', reasons: [{ code: 'not_pdfa1_declared', params: { declared: `PDF/A-${result.declaredPdfa.toUpperCase()}` } }] };
  }
  if (!report.compliant) {
    return {
      ...result,
      verdict: 'rejected',
      reasons: [{ code: 'pdfa_not_compliant', params: { declared: `PDF/A-${result.declaredPdfa.toUpperCase()}`, rules: report.counts.failedRules } }],
    };
  }
  return { ...result, verdict: 'accepted' };
}

export interface FileCheck {
  file: string;
  slot: DocumentSlot | null;
  verdict: 'accepted' | 'rejected' | 'error';
  reasons: CheckReason[];
}

/** Both phases, as `npm run docs:check` and the bench use them: the slot comes from the content. */
export async function checkDocumentFile(filePath: string, deps: { veraPdf: VeraPdf }): Promise<FileCheck & { pdf: PdfCheck | null; text: string | null }> {
  const pre = await precheckFile(filePath);
  if (pre.verdict !== 'pending') return { file: filePath, slot: pre.slot, verdict: pre.verdict, reasons: pre.reasons, pdf: null, text: pre.text };
  const pdf = await checkPdfOriginal(filePath, deps.veraPdf);
  const reasons = pdf.verdict === 'error' ? [{ code: 'check_failed', params: { error: pdf.error ?? '' } }] : pdf.reasons;
  return { file: filePath, slot: 'pdf', verdict: pdf.verdict, reasons, pdf, text: pdf.text };
}
