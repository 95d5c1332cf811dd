// Signed submission (000 §5.4): before the form is sent, fetch the manifest of what is being
// submitted (exactly the bytes the server will check), have NCALayer sign it with the staff
// member's SIGN key (a detached CMS), and send both with the form. Without this script or
// NCALayer nothing is sent, and the page says why; the server refuses an unsigned submission.
for (const form of document.querySelectorAll('form[data-sign-manifest]')) {
  if (!(form instanceof HTMLFormElement)) continue;
  const status = form.querySelector('[data-sign-status]');
  const button = form.querySelector('button[type="submit"]');
  const say = (text) => {
    if (!status) return;
    status.textContent = text ?? '';
    status.hidden = !text;
  };
  form.addEventListener('submit', async (event) => {
    if (form.dataset.signed === 'true') return;
    event.preventDefault();
    if (button instanceof HTMLButtonElement) button.disabled = true;
    say(form.dataset.textSigning);
    try {
      const response = await fetch(form.dataset.signManifest ?? '', { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`manifest: HTTP ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      let binary = '';
      for (const byte of bytes) binary += String.fromCharCode(byte);
      const Client = window.NCALayerClient;
      if (!Client) throw new Error('ncalayer-client.js is not loaded');
      const client = new Client(undefined, false);
      await client.connect();
      const cms = await client.basicsSignCMS(Client.basicsStorageAll, window.btoa(binary), Client.basicsCMSParamsDetached, Client.basicsSignerSignOrg);
      if (!cms) throw new Error('signing was cancelled');
      form.elements.namedItem('manifest').value = new TextDecoder().decode(bytes);
      form.elements.namedItem('signature').value = Array.isArray(cms) ? cms[0] : cms;
      form.dataset.signed = 'true';
      form.submit();
    } catch (error) {
      say(`${form.dataset.textFailed ?? ''} (${error instanceof Error ? error.message : String(error)})`);
      if (button instanceof HTMLButtonElement) button.disabled = false;
    }
  });
}
