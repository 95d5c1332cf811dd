import { formatDateTime, translator } from '../../web/i18n.ts';

/**
 * The catalogue of e-mail messages. Every message carries Kazakh first, then Russian, in one
 * e-mail: the portal does not know which language a recipient reads, and both are official.
 *
 * A template is a function from its typed parameters to content built of translation keys, so
 * adding one is an entry here plus its strings in locales/*.json; `enqueueMail` then accepts
 * exactly its parameters.
 */
export const MAIL_LANGUAGES = ['kk', 'ru'] as const;
type MailLanguage = (typeof MAIL_LANGUAGES)[number];

/** Dates are shown in Astana time in each language's own format. */
type Value = string | number | Date;

type Block =
  | { kind: 'paragraph'; key: string; values: Record<string, Value> }
  /** A link on a line of its own, so plain-text mail readers make it clickable too. */
  | { kind: 'link'; url: string }
  /** Text someone typed (a rejection reason), shown as written, apart from our own sentences. */
  | { kind: 'quote'; text: string };

interface MailContent {
  subject: { key: string; values: Record<string, Value> };
  body: Block[];
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const paragraph = (key: string, values: Record<string, Value> = {}): Block => ({ kind: 'paragraph', key, values });
const link = (url: string): Block => ({ kind: 'link', url });
const quote = (text: string): Block => ({ kind: 'quote', text });
const subject = (key: string, values: Record<string, Value> = {}): MailContent['subject'] => ({ key, values });
const greeting = (name: string): Block => paragraph('mail.greeting', { name });

function defineTemplate<P>(build: (params: P) => MailContent): (params: P) => MailContent {
  return build;
}

export const MAIL_TEMPLATES = {
  /** To each person listed in an account request and to its contact person (003 §6). */
  account_request_received: defineTemplate((p: { fullName: string; requestNumber: string; organizationName: string; dueAt: Date }) => ({
    subject: subject('mail.account_request_received.subject', { number: p.requestNumber }),
    body: [
      greeting(p.fullName),
      paragraph('mail.account_request_received.body', { number: p.requestNumber, organization: p.organizationName }),
      paragraph('mail.account_request_received.due', { due: p.dueAt }),
    ],
  })),

  /** To an approved person: the single-use activation link. */
  account_request_approved: defineTemplate((p: { fullName: string; requestNumber: string; link: string; expiresAt: Date }) => ({
    subject: subject('mail.account_request_approved.subject', { number: p.requestNumber }),
    body: [
      greeting(p.fullName),
      paragraph('mail.account_request_approved.body', { number: p.requestNumber }),
      link(p.link),
      paragraph('mail.link_expiry', { expires: p.expiresAt }),
    ],
  })),

  /** To a rejected person, with the reviewer's reason as written. */
  account_request_rejected: defineTemplate((p: { fullName: string; requestNumber: string; reason: string }) => ({
    subject: subject('mail.account_request_rejected.subject', { number: p.requestNumber }),
    body: [
      greeting(p.fullName),
      paragraph('mail.account_request_rejected.body', { number: p.requestNumber }),
      quote(p.reason),
      paragraph('mail.account_request_rejected.next_steps'),
    ],
  })),

  /** To the staff member who submitted an object for review (003 §8). */
  review_submitted: defineTemplate((p: { fullName: string; caseNumber: string; objectName: string; objectNameKk: string; dueAt: Date; link: string }) => ({
    subject: subject('mail.review_submitted.subject', { number: p.caseNumber }),
    body: [greeting(p.fullName), paragraph('mail.review_submitted.body', { number: p.caseNumber, objectKk: p.objectNameKk, objectRu: p.objectName, due: p.dueAt }), link(p.link)],
  })),

  /** To the submitter: the case was returned for completion, with the reviewer's comments on the object's page. */
  review_returned: defineTemplate((p: { fullName: string; caseNumber: string; objectName: string; objectNameKk: string; comments: number; note: string; link: string }) => ({
    subject: subject('mail.review_returned.subject', { number: p.caseNumber }),
    body: [
      greeting(p.fullName),
      paragraph('mail.review_returned.body', { number: p.caseNumber, objectKk: p.objectNameKk, objectRu: p.objectName, count: p.comments }),
      ...(p.note ? [quote(p.note)] : []),
      paragraph('mail.review_returned.next_steps'),
      link(p.link),
    ],
  })),

  /** To the submitter: approved; the account code and the extract's number. */
  review_approved: defineTemplate((p: { fullName: string; caseNumber: string; objectName: string; objectNameKk: string; accountCode: string; documentNumber: string; link: string }) => ({
    subject: subject('mail.review_approved.subject', { number: p.caseNumber, code: p.accountCode }),
    body: [
      greeting(p.fullName),
      paragraph('mail.review_approved.body', { number: p.caseNumber, objectKk: p.objectNameKk, objectRu: p.objectName, code: p.accountCode, document: p.documentNumber }),
      link(p.link),
    ],
  })),

  /** To the reviewer who holds a case (or every reviewer, while nobody does), one working day before it is due. */
  review_due_reminder: defineTemplate((p: { fullName: string; caseNumber: string; objectName: string; objectNameKk: string; dueAt: Date; link: string }) => ({
    subject: subject('mail.review_due_reminder.subject', { number: p.caseNumber }),
    body: [greeting(p.fullName), paragraph('mail.review_due_reminder.body', { number: p.caseNumber, objectKk: p.objectNameKk, objectRu: p.objectName, due: p.dueAt }), link(p.link)],
  })),

  /** To administrators, once a day while any case is overdue. */
  review_overdue_digest: defineTemplate((p: { fullName: string; count: number; lines: string; link: string }) => ({
    subject: subject('mail.review_overdue_digest.subject', { count: p.count }),
    body: [greeting(p.fullName), paragraph('mail.review_overdue_digest.body', { count: p.count }), quote(p.lines), link(p.link)],
  })),

  /** Only ever sent to an existing active account; the caller answers every request the same way. */
  password_reset: defineTemplate((p: { fullName: string; link: string; expiresAt: Date }) => ({
    subject: subject('mail.password_reset.subject'),
    body: [
      greeting(p.fullName),
      paragraph('mail.password_reset.body'),
      link(p.link),
      paragraph('mail.link_expiry', { expires: p.expiresAt }),
      paragraph('mail.password_reset.not_you'),
    ],
  })),

  /** After a password was set through an activation or reset link. */
  account_activated: defineTemplate((p: { fullName: string }) => ({
    subject: subject('mail.account_activated.subject'),
    body: [greeting(p.fullName), paragraph('mail.account_activated.body'), paragraph('mail.account_activated.not_you')],
  })),
};

export type MailTemplateName = keyof typeof MAIL_TEMPLATES;
export type MailTemplateParams<N extends MailTemplateName> = Parameters<(typeof MAIL_TEMPLATES)[N]>[0];

export const MAIL_TEMPLATE_NAMES = Object.keys(MAIL_TEMPLATES) as MailTemplateName[];

export function isMailTemplateName(value: unknown): value is MailTemplateName {
  return typeof value === 'string' && Object.hasOwn(MAIL_TEMPLATES, value);
}

export function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

function translate(language: MailLanguage, key: string, values: Record<string, Value>): string {
  const formatted = Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, value instanceof Date ? formatDateTime(language, value) : String(value)]),
  );
  const text = String(translator(language)(key, formatted));
  // The catalogue has no fallback language: a missing string would otherwise go out as its key.
  if (text === key) throw new Error(`mail text "${key}" is missing in ${language}`);
  return text;
}

function assertWebLink(url: string): void {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) throw new Error('a mail link must be an absolute http(s) URL');
}

interface Section {
  text: string;
  html: string;
}

function renderSection(language: MailLanguage, content: MailContent): Section {
  const text: string[] = [translate(language, 'mail.language_heading', {}), ''];
  const html: string[] = [`<h2 style="font-size:16px;margin:0 0 12px">${escapeHtml(translate(language, 'mail.language_heading', {}))}</h2>`];
  for (const block of content.body) {
    if (block.kind === 'paragraph') {
      const sentence = translate(language, block.key, block.values);
      text.push(sentence, '');
      html.push(`<p>${escapeHtml(sentence)}</p>`);
    } else if (block.kind === 'link') {
      text.push(block.url, '');
      html.push(`<p><a href="${escapeHtml(block.url)}">${escapeHtml(block.url)}</a></p>`);
    } else {
      text.push(...block.text.split(/\r?\n/).map((line) => `    ${line}`), '');
      html.push(`<blockquote style="margin:0 0 16px;padding-left:12px;border-left:3px solid #ccc">${escapeHtml(block.text).replace(/\r?\n/g, '<br>')}</blockquote>`);
    }
  }
  const footer = translate(language, 'mail.footer', {});
  text.push('-- ', footer);
  html.push(`<p style="color:#555;font-size:13px">${escapeHtml(footer)}</p>`);
  return { text: text.join('\n'), html: `<div lang="${language}">\n${html.join('\n')}\n</div>` };
}

/**
 * Renders a message in Kazakh and Russian: the subject as "kk / ru", the text and HTML with the
 * Kazakh section first, then a rule, then the Russian one. Every parameter is escaped in the HTML.
 */
export function renderMail<N extends MailTemplateName>(template: N, params: MailTemplateParams<N>): RenderedMail {
  const build = MAIL_TEMPLATES[template] as (params: MailTemplateParams<N>) => MailContent;
  const content = build(params);
  for (const block of content.body) if (block.kind === 'link') assertWebLink(block.url);
  const sections = MAIL_LANGUAGES.map((language) => renderSection(language, content));
  const subjectLine = MAIL_LANGUAGES.map((language) => translate(language, content.subject.key, content.subject.values))
    .join(' / ')
    // A subject is one header line whatever a parameter holds.
    .replace(/\s+/g, ' ')
    .trim();
  const text = `${sections.map((section) => section.text).join(`\n\n${'='.repeat(40)}\n\n`)}\n`;
  const html = [
    '<!doctype html>',
    '<html>',
    '<head><meta charset="utf-8">',
    `<title>${escapeHtml(subjectLine)}</title></head>`,
    '<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1a1a1a">',
    sections.map((section) => section.html).join('\n<hr style="border:0;border-top:1px solid #ccc;margin:24px 0">\n'),
    '</body>',
    '</html>',
    '',
  ].join('\n');
  return { subject: subjectLine, text, html };
}
