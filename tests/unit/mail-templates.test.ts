import { describe, expect, it } from 'vitest';
import { MAIL_TEMPLATE_NAMES, type MailTemplateName, type MailTemplateParams, renderMail } from '../../src/modules/notifications/mail-templates.ts';
import { linkifyText } from '../../src/modules/notifications/notifications.web.ts';
import { formatDateTime, translator } from '../../src/web/i18n.ts';

// 13:00 UTC is 18:00 in Astana.
const due = new Date('2026-11-24T13:00:00Z');
const link = 'https://portal.example.kz/activate/abcDEF123_-';

/** A sample for every template: the type makes a new template without one fail to compile. */
const samples: { [N in MailTemplateName]: MailTemplateParams<N> } = {
  account_request_received: { fullName: 'Әлиев Серік', requestNumber: 'AR-2026-000042', organizationName: 'Цифрлық даму министрлігі', dueAt: due },
  account_request_approved: { fullName: 'Әлиев Серік', requestNumber: 'AR-2026-000042', link, expiresAt: due },
  account_request_rejected: { fullName: 'Әлиев Серік', requestNumber: 'AR-2026-000042', reason: 'Неверно указан ИИН' },
  password_reset: { fullName: 'Әлиев Серік', link, expiresAt: due },
  account_activated: { fullName: 'Әлиев Серік' },
  review_submitted: { fullName: 'Әлиев Серік', caseNumber: 'RC-2026-000007', objectName: 'Реестр разрешений', objectNameKk: 'Рұқсаттар тізілімі', dueAt: due, link },
  review_returned: { fullName: 'Әлиев Серік', caseNumber: 'RC-2026-000007', objectName: 'Реестр разрешений', objectNameKk: 'Рұқсаттар тізілімі', comments: 2, note: 'Уточните число пользователей', link },
  review_approved: { fullName: 'Әлиев Серік', caseNumber: 'RC-2026-000007', objectName: 'Реестр разрешений', objectNameKk: 'Рұқсаттар тізілімі', accountCode: 'AP-2026-000123-04', documentNumber: 'EXT-2026-7KQ2-M9XD', link },
  review_due_reminder: { fullName: 'Әлиев Серік', caseNumber: 'RC-2026-000007', objectName: 'Реестр разрешений', objectNameKk: 'Рұқсаттар тізілімі', dueAt: due, link },
  review_overdue_digest: { fullName: 'Әлиев Серік', count: 2, lines: 'RC-2026-000007 — Рұқсаттар тізілімі', link },
};

function render<N extends MailTemplateName>(name: N, params: MailTemplateParams<N>) {
  return renderMail(name, params);
}

describe('mail templates', () => {
  const kk = translator('kk');
  const ru = translator('ru');

  it.each(MAIL_TEMPLATE_NAMES)('%s renders in Kazakh, then Russian', (name) => {
    const mail = render(name, samples[name] as never);
    const [subjectKk, subjectRu, ...rest] = mail.subject.split(' / ');
    expect(rest).toEqual([]);
    expect(subjectKk).toBeTruthy();
    expect(subjectRu).toBeTruthy();
    expect(subjectKk).not.toBe(subjectRu);

    for (const body of [mail.text, mail.html]) {
      const kkAt = body.indexOf(kk('mail.language_heading'));
      const ruAt = body.indexOf(ru('mail.language_heading'));
      expect(kkAt).toBeGreaterThanOrEqual(0);
      expect(ruAt).toBeGreaterThan(kkAt);
      expect(body.indexOf(kk('mail.footer'))).toBeGreaterThan(kkAt);
      expect(body.indexOf(ru('mail.footer'))).toBeGreaterThan(ruAt);
      expect(body).toContain('Әлиев Серік');
      // No untranslated key or unfilled placeholder.
      expect(body).not.toMatch(/\bmail\.[a-z_]+\.[a-z_]+|{{/);
    }
    expect(mail.html).toMatch(/<div lang="kk">[\s\S]*<hr[^>]*>\s*<div lang="ru">/);
  });

  it('formats dates in Astana time, in each language', () => {
    const mail = render('account_request_received', samples.account_request_received);
    expect(mail.text).toContain(formatDateTime('kk', due));
    expect(mail.text).toContain(formatDateTime('ru', due));
    expect(formatDateTime('ru', due)).toContain('18:00');
    expect(mail.subject).toBe(`№ AR-2026-000042 өтінім қабылданды / Заявка № AR-2026-000042 принята`);
  });

  it('puts links on lines of their own, as links in the HTML', () => {
    const mail = render('account_request_approved', samples.account_request_approved);
    expect(mail.text.split('\n').filter((line) => line === link)).toHaveLength(2);
    expect(mail.html).toContain(`<a href="${link}">${link}</a>`);
  });

  it('escapes every parameter in the HTML and keeps it as typed in the text', () => {
    const hostile = `<script>alert("x")</script> & 'q' {{number}} $t(mail.footer)`;
    const mail = render('account_request_received', {
      fullName: hostile,
      requestNumber: '<b>1</b>',
      organizationName: '«ТОО "А&Б"»<img src=x onerror=alert(1)>',
      dueAt: due,
    });
    expect(mail.html).not.toMatch(/<script|<b>|<img/);
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
    expect(mail.html).toContain('«ТОО &quot;А&amp;Б&quot;»&lt;img src=x onerror=alert(1)&gt;');
    // Placeholders and nesting inside a value are not interpreted.
    expect(mail.text).toContain(hostile);
    expect(mail.subject).toContain('<b>1</b>');
  });

  it('keeps a multi-line reason apart, escaped, and the subject on one line', () => {
    const mail = render('account_request_rejected', { fullName: 'А', requestNumber: 'AR\r\n-1', reason: 'Первая строка\n<i>вторая</i>' });
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).toContain('    Первая строка\n    <i>вторая</i>');
    expect(mail.html).toContain('Первая строка<br>&lt;i&gt;вторая&lt;/i&gt;');
  });

  it('refuses a link that is not http(s)', () => {
    expect(() => render('password_reset', { fullName: 'А', link: 'javascript:alert(1)', expiresAt: due })).toThrow(/http/);
    expect(() => render('password_reset', { fullName: 'А', link: '/relative/path', expiresAt: due })).toThrow(/http/);
  });
});

describe('linkifyText', () => {
  it('marks http(s) links, leaving trailing punctuation and everything else as text', () => {
    expect(linkifyText('Open https://a.kz/x?y=1. Or http://b.kz\njavascript:alert(1)')).toEqual([
      { text: 'Open ' },
      { text: 'https://a.kz/x?y=1', href: 'https://a.kz/x?y=1' },
      { text: '. Or ' },
      { text: 'http://b.kz', href: 'http://b.kz' },
      { text: '\njavascript:alert(1)' },
    ]);
  });
});
