// Reads the status line from the JSON file next to this page (same origin, never cached) so ops can
// update it during an outage with one S3 upload. Without JavaScript the page keeps its built-in text.
(() => {
  const status = document.getElementById('status');
  const updated = document.getElementById('updated');
  fetch('/support-fallback-status.json', { cache: 'no-store' })
    .then((response) => (response.ok ? response.json() : null))
    .then((doc) => {
      if (!doc || typeof doc.status !== 'string' || doc.status.trim() === '') return;
      status.textContent = doc.status;
      if (typeof doc.updatedAt === 'string' && doc.updatedAt)
        updated.textContent = `Last updated ${doc.updatedAt}`;
    })
    .catch(() => {});
})();
