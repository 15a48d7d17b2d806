// Tier 3 stub, served by the edge function in place of the Messenger bootstrap script while the surge
// flag is on. It replaces the site's chat button (or, if the page has none, adds a small corner notice)
// with an accessible "chat is at capacity" message and links to e-mail and the FAQ.
// Plain ES2015 with no build step: it must stay small (it ships inside the 10 KB CloudFront Function).
// `__SURGE_STUB_CONFIG__` is replaced by renderStubScript().
(() => {
  const C = __SURGE_STUB_CONFIG__;
  const w = window;
  const d = document;
  // The Messenger snippet queues Genesys(...) calls; keep the global callable so page code never throws.
  const g = w._genesysJs || 'Genesys';
  if (typeof w[g] !== 'function') w[g] = () => {};
  if (w.__cxSurgeStub) return;
  w.__cxSurgeStub = true;

  function el(tag, text, css) {
    const e = d.createElement(tag);
    if (text) e.textContent = text;
    // CSSOM, not a <style> tag: allowed under a strict Content-Security-Policy.
    for (const k of Object.keys(css)) e.style[k] = css[k];
    return e;
  }

  function link(href, text) {
    const a = el('a', text, {
      color: 'inherit',
      textDecoration: 'underline',
      marginRight: '1em',
      display: 'inline-block',
    });
    a.href = href;
    return a;
  }

  function notice(floating) {
    const box = el('div', '', {
      font: 'inherit',
      lineHeight: '1.4',
      color: '#1b1b1b',
      background: '#fff',
      border: '2px solid #1b1b1b',
      borderRadius: '8px',
      padding: '12px 16px',
      maxWidth: '22rem',
    });
    box.setAttribute('role', 'status');
    box.setAttribute('data-cx-surge-notice', '');
    if (floating) {
      box.style.position = 'fixed';
      box.style.right = '16px';
      box.style.bottom = '16px';
      box.style.zIndex = '2147483000';
      box.style.boxShadow = '0 2px 8px rgba(0,0,0,.25)';
    }
    box.appendChild(el('p', C.message, { margin: '0 0 4px', fontWeight: 'bold' }));
    if (C.detail) box.appendChild(el('p', C.detail, { margin: '0 0 8px' }));
    const links = el('p', '', { margin: '0' });
    if (C.email) links.appendChild(link(`mailto:${C.email}`, `${C.emailLabel} ${C.email}`));
    if (C.faqUrl) links.appendChild(link(C.faqUrl, C.faqLabel));
    box.appendChild(links);
    if (floating) {
      const close = el('button', '\u00d7', {
        position: 'absolute',
        top: '4px',
        right: '8px',
        border: '0',
        background: 'transparent',
        font: 'inherit',
        fontSize: '1.25em',
        cursor: 'pointer',
      });
      close.type = 'button';
      close.setAttribute('aria-label', C.dismissLabel);
      close.onclick = () => {
        box.parentNode.removeChild(box);
      };
      box.appendChild(close);
    }
    return box;
  }

  function apply() {
    const buttons = d.querySelectorAll(C.buttonSelector);
    if (buttons.length === 0) {
      d.body.appendChild(notice(true));
      return;
    }
    for (const button of Array.from(buttons)) button.replaceWith(notice(false));
  }

  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', apply);
  else apply();
})();
