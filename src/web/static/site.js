// Progressive enhancement only: every page works without this file.
// After a form comes back with errors, move focus to the error summary so screen-reader and
// keyboard users hear what to fix first (the summary's links then jump to each field).
// The script is deferred, so the document is parsed by the time it runs.
const summary = document.querySelector('[data-error-summary]');
if (summary instanceof HTMLElement) summary.focus();
