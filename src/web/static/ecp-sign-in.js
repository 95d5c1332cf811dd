// Sign-in with ЭЦП: asks NCALayer (the NCA's signer on this machine) for a CMS over the page's
// challenge, made with an AUTH key, and posts it. The texts are in the page, in its language.
(function () {
  'use strict';
  var root = document.querySelector('[data-ecp-sign-in]');
  if (!root || typeof window.NCALayerClient !== 'function') return;
  var Client = window.NCALayerClient;
  var form = root.querySelector('[data-ecp-form]');
  var button = root.querySelector('[data-ecp-start]');
  var client = null;

  function show(name) {
    root.querySelectorAll('[data-ecp-message]').forEach(function (element) {
      element.hidden = element.getAttribute('data-ecp-message') !== name;
    });
  }

  button.addEventListener('click', async function () {
    button.disabled = true;
    show('working');
    try {
      if (!client) {
        client = new Client(root.getAttribute('data-ncalayer-url'), false);
        try {
          await client.connect();
        } catch (error) {
          client = null;
          show('not_running');
          return;
        }
      }
      // The nonce is base64url text; NCALayer signs the bytes of the base64 it is given.
      var data = btoa(root.getAttribute('data-nonce'));
      var lang = (document.documentElement.lang || 'ru') === 'en' ? 'en' : document.documentElement.lang === 'kk' ? 'kk' : 'ru';
      var cms = await client.basicsSignCMS(Client.basicsStorageAll, data, Client.basicsCMSParamsDetached, Client.basicsSignerAuthAny, lang);
      form.querySelector('[name="cms"]').value = Array.isArray(cms) ? cms[0] : cms;
      form.submit();
    } catch (error) {
      show(error && error.canceledByUser ? 'cancelled' : 'failed');
    } finally {
      button.disabled = false;
    }
  });
})();
