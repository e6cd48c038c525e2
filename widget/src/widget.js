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
  const K = 'confab:' + key + ':', cacheKey = K + 'cfg';
  const stored = (k) => { try { return localStorage.getItem(k); } catch (e) { /* storage disabled */ } };
  const q = (C.q = C.q || []);
  const labels = {
    de: ['Chat öffnen', 'Chat schließen'], fr: ['Ouvrir le chat', 'Fermer le chat'], es: ['Abrir el chat', 'Cerrar el chat'],
  };
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
  // setTeam only remembers; track loads the chat so that the goal reaches the relay.
  for (const m of ['open', 'close', 'toggle', 'send', 'on', 'setTeam', 'track'])
    C[m] = C[m] || ((...a) => { q.push([m, ...a]); if (!/^(on|close|setTeam)$/.test(m)) load(); });

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

  // Black or white, whichever reads better on the site's colour: at least 4.58:1 for any colour.
  const fg = (h) => [0.2126, 0.7152, 0.0722].reduce((l, k, i) => {
    const v = parseInt(h.substr(2 * i + 1, 2), 16) / 255;
    return l + k * (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  }, 0) > 0.179 ? '#000' : '#fff';

  // The host element covers the visual viewport, unzoomed: its fixed children (bubble, panel)
  // stay on screen whatever the page does (sideways overflow, pinch zoom, on-screen keyboard).
  const vv = w.visualViewport;
  const fit = () => {
    const z = vv.scale, set = (k, v) => host.style.setProperty(k, v, 'important');
    set('transform', `translate(${vv.offsetLeft}px,${vv.offsetTop}px) scale(${1 / z})`);
    set('width', vv.width * z + 'px');
    set('height', vv.height * z + 'px');
  };

  const draw = (c) => {
    const s = (c.settings = c.settings || {});
    cfg = c;
    lang = (s.locale || navigator.language || 'en').slice(0, 2).toLowerCase();
    if (!host) {
      host = d.createElement('confab-widget');
      // Inline and !important: the host page's CSS (even "* { all: unset }") cannot move it.
      host.style.cssText = 'all:initial;position:fixed;top:0;left:0;width:100%;height:100%;display:block;' +
        'z-index:2147483647;pointer-events:none;transform-origin:0 0;'.replace(/;/g, '!important;');
      const root = host.attachShadow({ mode: 'open' });
      // the unread badge and the hover effect are styled by the full widget, which sets the badge
      const style = d.createElement('style');
      style.textContent =
        '.r{all:initial;font:15px/1.4 system-ui,sans-serif;--c:#2563eb;--f:#fff}' +
        '.b{all:initial;box-sizing:border-box;position:fixed;bottom:calc(var(--y) + env(safe-area-inset-bottom));' +
        'right:calc(var(--x) + env(safe-area-inset-right));width:56px;height:56px;' +
        'border-radius:50%;background:var(--c);color:var(--f);cursor:pointer;display:flex;align-items:center;' +
        'justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.3)}' +
        '.b:focus-visible{outline:2px solid #fff;outline-offset:2px;box-shadow:0 0 0 6px #000}' +
        '.l .b{right:auto;left:calc(var(--x) + env(safe-area-inset-left))}.b svg{width:28px;height:28px;fill:currentColor}';
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
      // beside <body>, not in it: a transform or filter on the body cannot move it
      d.documentElement.append(host);
      if (vv) {
        for (const e of ['resize', 'scroll']) vv.addEventListener(e, fit);
        // before the first paint, without forcing a layout while the page's scripts run
        requestAnimationFrame(fit);
      }
      mark('confab:bubble');
      log('bubble drawn');
      C._b.root = root;
      C._b.wrap = wrap;
      C._b.bubble = bubble;
      if (s.auto_open_delay > 0 && !sessionStorage.getItem(cacheKey + ':auto'))
        setTimeout(() => { sessionStorage.setItem(cacheKey + ':auto', 1); C.open(); }, s.auto_open_delay * 1000);
      // With consent required, nothing goes to the relay before the visitor opens the chat,
      // unless they agreed before (the full widget keeps its identity only after consent).
      if (!s.consent_required || stored(K + 'id')) (w.requestIdleCallback || setTimeout)(load, { timeout: 4000 });
    }
    if (/^#[0-9a-f]{6}$/i.test(s.color || '')) {
      wrap.style.setProperty('--c', s.color);
      wrap.style.setProperty('--f', fg(s.color));
    }
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
    const cached = JSON.parse(stored(cacheKey));
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
      // a site that asks for consent first gets nothing stored before it
      try {
        localStorage[(c.settings || {}).consent_required ? 'removeItem' : 'setItem'](cacheKey, JSON.stringify(c));
      } catch (e) { /* ignore */ }
      draw(c);
    })
    .catch((e) => log(e.message));
})(window, document);
