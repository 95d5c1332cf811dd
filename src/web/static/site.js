// Progressive enhancement only: every page works without this file.
// After a form comes back with errors, move focus to the error summary so screen-reader and
// keyboard users hear what to fix first (the summary's links then jump to each field).
// The script is deferred, so the document is parsed by the time it runs.
const summary = document.querySelector('[data-error-summary]');
if (summary instanceof HTMLElement) summary.focus();

// Document uploads: send the form with XMLHttpRequest to show its progress, then show what the
// server answered (the object page after a redirect, or the form again with its errors).
for (const form of document.querySelectorAll('form[data-upload-form]')) {
  form.addEventListener('submit', (event) => {
    if (!(form instanceof HTMLFormElement) || typeof FormData === 'undefined') return;
    event.preventDefault();
    const progress = form.querySelector('[data-upload-progress]');
    const bar = progress?.querySelector('progress');
    const percent = progress?.querySelector('[data-upload-percent]');
    const failed = form.querySelector('[data-upload-failed]');
    const button = form.querySelector('button[type="submit"]');
    if (progress) progress.hidden = false;
    if (failed) failed.hidden = true;
    if (button) button.disabled = true;
    const request = new XMLHttpRequest();
    request.open('POST', form.action);
    request.setRequestHeader('x-upload-progress', '1');
    request.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      const value = Math.round((e.loaded / e.total) * 100);
      if (bar) bar.value = value;
      if (percent) percent.textContent = `${value}%`;
    });
    request.addEventListener('load', () => {
      if (request.status === 200 && (request.getResponseHeader('content-type') ?? '').includes('application/json')) {
        window.location.assign(JSON.parse(request.responseText).location);
        return;
      }
      // The form again, with what was wrong: shown as the server rendered it.
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener('error', () => {
      if (failed) failed.hidden = false;
      if (progress) progress.hidden = true;
      if (button) button.disabled = false;
    });
    request.send(new FormData(form));
  });
}

// A document's check status updates without reloading the page.
const pending = [...document.querySelectorAll('[data-document-file][data-status-url]')];
if (pending.length > 0) {
  const final = new Set(['accepted', 'rejected']);
  const poll = async () => {
    for (const tag of [...pending]) {
      try {
        const response = await fetch(tag.dataset.statusUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
        if (!response.ok) continue;
        const { status } = await response.json();
        if (status !== tag.dataset.status) {
          tag.dataset.status = status;
          tag.textContent = tag.dataset[`label${status.replace(/(^|_)(\w)/g, (_, __, c) => c.toUpperCase())}`] ?? status;
          tag.classList.toggle('status-tag--ok', status === 'accepted');
          tag.classList.toggle('status-tag--overdue', status === 'rejected' || status === 'check_failed');
        }
        if (final.has(status)) pending.splice(pending.indexOf(tag), 1);
      } catch {
        // The next round tries again.
      }
    }
    if (pending.length > 0) setTimeout(poll, 2000);
  };
  setTimeout(poll, 1500);
}
