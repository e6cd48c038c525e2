/* SPDX-License-Identifier: GPL-3.0-or-later */
/* widget.js — the bootstrap: the one script customers paste into their pages.
 *
 *   <script async src="https://RELAY/widget.js" data-site-key="KEY"></script>
 *
 * It is on the host page's critical path, so it does as little as it can: read its own tag, put
 * up the stub API (calls are queued), fetch the site's public config, draw the bubble inside a
 * Shadow DOM, and load widget-full.js when the visitor opens the chat or the page is idle.
 * Budget: 2.5 KB gzipped (checked by the build and by tests/widget). */
((w, d) => {
  const perf = w.performance;
  const mark = (name) => perf && perf.mark && perf.mark(name);
  mark('confab:start');

  const tag = d.currentScript;
  const C = (w.Confab = w.Confab || {});
  // a second copy of the snippet on the same page must not draw a second bubble
  if (!tag || C._b) return;

  const key = tag.getAttribute('data-site-key') || '';
  const debug = tag.hasAttribute('data-debug');
  const log = (...a) => debug && console.log('[confab]', ...a);
  const base = new URL('.', tag.src).href;
  const cacheKey = 'confab:' + key + ':cfg';
  const q = (C.q = C.q || []);
  const labels = { de: ['Chat öffnen', 'Chat schließen'], fr: ['Ouvrir le chat', 'Fermer le chat'] };
  let loaded = 0, cfg, host, bubble, badge, wrap, lang, opened = 0, unread = 0;

  const load = () => {
    if (loaded || !cfg) return;
    loaded = 1;
    const s = d.createElement('script');
    s.async = true;
    s.src = base + 'widget-full.js?v=' + FULL_VERSION;
    s.onerror = () => { loaded = 0; log('widget-full.js did not load'); };
    d.head.appendChild(s);
  };

  // The stub API: the full widget replaces these and runs what was queued.
  for (const m of ['open', 'close', 'toggle', 'send', 'on'])
    C[m] = C[m] || ((...a) => { q.push([m, ...a]); if (m != 'on' && m != 'close') load(); });

  // "*" is a wildcard; a pattern matches the whole path or the whole URL.
  const matches = (list) => (list || []).some((p) => {
    const re = new RegExp('^' + p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
    return re.test(location.pathname) || re.test(location.href);
  });
  const visible = (s) => !(s.show_on && s.show_on.length && !matches(s.show_on)) && !matches(s.hide_on);

  const label = () => {
    const l = labels[lang] || ['Open chat', 'Close chat'];
    bubble.setAttribute('aria-label', l[opened] + (unread ? ' (' + unread + ')' : ''));
    bubble.setAttribute('aria-expanded', opened ? 'true' : 'false');
  };

  const draw = (c) => {
    const s = (c.settings = c.settings || {});
    cfg = c;
    lang = (s.locale || navigator.language || 'en').slice(0, 2).toLowerCase();
    if (!host) {
      host = d.createElement('confab-widget');
      // Inline and !important: the host page's CSS (even "* { all: unset }") cannot move it.
      host.style.cssText = 'all:initial!important;position:fixed!important;top:0!important;left:0!important;' +
        'width:0!important;height:0!important;display:block!important;z-index:2147483647!important';
      const root = host.attachShadow({ mode: 'open' });
      const style = d.createElement('style');
      style.textContent =
        '.r{all:initial;font:15px/1.4 system-ui,sans-serif;--c:#2563eb}' +
        '.b{all:initial;box-sizing:border-box;position:fixed;bottom:var(--y);right:var(--x);width:56px;height:56px;' +
        'border-radius:50%;background:var(--c);color:#fff;cursor:pointer;display:flex;align-items:center;' +
        'justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.3);transition:transform .15s}' +
        '.b:hover{transform:scale(1.06)}.b:focus-visible{outline:3px solid #111;outline-offset:3px}' +
        '.l .b{right:auto;left:var(--x)}.b svg{width:28px;height:28px;fill:currentColor}' +
        '.n{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;' +
        'border-radius:10px;background:#dc2626;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}' +
        '.n:empty{display:none}';
      wrap = d.createElement('div');
      wrap.className = 'r';
      bubble = d.createElement('button');
      bubble.className = 'b';
      bubble.type = 'button';
      const ns = 'http://www.w3.org/2000/svg';
      const svg = d.createElementNS(ns, 'svg');
      const path = d.createElementNS(ns, 'path');
      svg.setAttribute('viewBox', '0 0 24 24');
      svg.setAttribute('aria-hidden', 'true');
      path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
      svg.append(path);
      badge = d.createElement('span');
      badge.className = 'n';
      badge.setAttribute('aria-hidden', 'true');
      bubble.append(svg, badge);
      bubble.onclick = () => C.toggle();
      wrap.append(bubble);
      root.append(style, wrap);
      (d.body || d.documentElement).append(host);
      mark('confab:bubble');
      log('bubble drawn');
      C._b.root = root;
      C._b.wrap = wrap;
      C._b.bubble = bubble;
      if (s.auto_open_delay > 0 && !sessionStorage.getItem(cacheKey + ':auto'))
        setTimeout(() => { sessionStorage.setItem(cacheKey + ':auto', 1); C.open(); }, s.auto_open_delay * 1000);
      (w.requestIdleCallback || setTimeout)(load, { timeout: 4000 });
    }
    if (/^#[0-9a-f]{6}$/i.test(s.color || '')) wrap.style.setProperty('--c', s.color);
    wrap.style.setProperty('--x', (s.offset_x | 0) + 20 + 'px');
    wrap.style.setProperty('--y', (s.offset_y | 0) + 20 + 'px');
    wrap.classList.toggle('l', s.position == 'bottom-left');
    host.style.setProperty('display', visible(s) ? 'block' : 'none', 'important');
    label();
    C._cfg && C._cfg(c);
  };

  // What the full widget takes over from here.
  C._b = {
    key, base, debug, log,
    cfg: () => cfg,
    lang: () => lang,
    badge: (n) => { unread = n; badge.textContent = n ? (n > 9 ? '9+' : n) : ''; label(); },
    opened: (o) => { opened = o ? 1 : 0; label(); },
  };

  // Single-page apps: show/hide rules follow the URL, and the journey hears of each page.
  const nav = () => setTimeout(() => {
    cfg && draw(cfg);
    C._nav && C._nav();
  }, 50);
  for (const m of ['pushState', 'replaceState']) {
    const orig = history[m];
    history[m] = function () { const r = orig.apply(this, arguments); nav(); return r; };
  }
  w.addEventListener('popstate', nav);

  // A config seen before draws the bubble at once; the network then confirms or corrects it
  // (the relay answers with an ETag, so the browser revalidates cheaply).
  try {
    const cached = JSON.parse(localStorage.getItem(cacheKey));
    if (cached) draw(cached);
  } catch (e) { /* storage may be disabled */ }

  fetch(base + 'api/v1/widget/config?site_key=' + encodeURIComponent(key))
    .then((r) => {
      if (r.status == 404 || r.status == 403) {
        // an unknown or disabled site, or a page outside its domains: no chat at all
        try { localStorage.removeItem(cacheKey); } catch (e) { /* ignore */ }
        if (host) host.remove();
        throw new Error('unknown site key');
      }
      if (!r.ok) throw new Error('config: HTTP ' + r.status);
      return r.json();
    })
    .then((c) => {
      try { localStorage.setItem(cacheKey, JSON.stringify(c)); } catch (e) { /* ignore */ }
      draw(c);
    })
    .catch((e) => log(e.message));
})(window, document);
