/* SPDX-License-Identifier: GPL-3.0-or-later */
/* widget-full.js — the chat itself, loaded by widget.js on first open or when the page is idle.
 *
 * Talks the visitor side of PROTOCOL.md over /ws/widget: hello → welcome, resume after the last
 * seq seen (no gap, no duplicate: messages are keyed by conversation and seq), an outbox of the
 * visitor's messages kept in localStorage and retried with the same client_id until acked.
 * Nothing from the network is ever parsed as HTML: every text goes in as a text node. */
import { STRINGS } from './strings.js';
import { CSS } from './style.js';
import { el, linkify, safeUrl } from './dom.js';
import { engage } from './engage.js';

(() => {
  const w = window, d = document, C = w.Confab, B = C && C._b;
  if (!B || C._full) return;
  C._full = 1;

  const { key, base, log } = B;
  const K = 'confab:' + key + ':';
  // With consent_required, nothing is written before the visitor agreed (needsConsent is
  // hoisted: it reads the settings and the profile as they are at the time of the call).
  const store = (k, v) => {
    try {
      if (v === undefined) return JSON.parse(localStorage.getItem(K + k));
      if (needsConsent()) return;
      if (v === null) localStorage.removeItem(K + k);
      else localStorage.setItem(K + k, JSON.stringify(v));
    } catch (e) { /* storage disabled or full: the chat still works for this page */ }
  };

  let cfg = B.cfg(), S = cfg.settings || {};
  const lang = STRINGS[B.lang()] ? B.lang() : 'en';
  const T = (k, vars) => (STRINGS[lang][k] || STRINGS.en[k]).replace(/\{(\w+)\}/g, (m, v) => vars[v]);
  // A site text given per language ({"en":"Hi","de":"Hallo"}): the visitor's language by exact
  // tag, then by primary subtag, then the site's locale, then the first one given.
  const pick = (v) => {
    if (!v || typeof v != 'object') return v;
    const tags = Object.keys(v), low = (x) => String(x || '').toLowerCase(), base = (x) => low(x).split('-')[0];
    const want = [...(navigator.languages || [navigator.language])];
    const found = (eq) => want.map((l) => tags.find((t) => eq(t, l))).find(Boolean);
    const tag = found((t, l) => low(t) == low(l)) || found((t, l) => low(t) == base(l)) || found((t, l) => base(t) == base(l)) ||
      tags.find((t) => S.locale && base(t) == base(S.locale)) || tags[0];
    return v[tag];
  };

  // --- state ---
  let ident = store('id') || {};           // { visitor_id, visitor_token }
  let profile = store('profile') || {};    // { name, email, consent_at, prechat }
  let outbox = store('outbox') || [];      // unacked messages: { client_id, body, attachment_id }
  // The visitor's read mark is per conversation: an agent may start a new one whose seq 1 is
  // news even after reading seq 9 of an earlier one. (A bare number is a mark from before.)
  let read = store('read') || 0;           // { c: conversation id, s: seq }
  const readOf = (id) => (read.c == id ? read.s : 0);
  let ws = null, hello = false, synced = false, ready = false, state = 'connecting';
  let attempt = 0, retryTimer = 0, conv = null, lastSeq = 0, online = 0, isOpen = false, stopped = false;
  // the relay refused this visitor for good (error "blocked", close 4011): no more connecting
  let blocked = false;
  let unread = 0, reported = null, interacted = false, audio = null, file = null, leftBody = '';
  // issue 18: the team the page (data-team, Confab.setTeam) or the pre-chat chose, sent with the
  // next new conversation; the place in the queue while it waits; "leave a message instead"
  let routeTeam = (d.querySelector('script[data-team]') || { dataset: {} }).dataset.team || '', inLine = null, leaving = false;
  const seen = new Set();                  // "conversation:seq" already shown
  const pending = new Map();               // client_id → { item, node, file }
  const confirmed = new Map();             // client_id → node, for uploads whose echo may come after the ack
  const handlers = {};

  const emit = (ev, data) => {
    // the name only (an error's code): message texts and tokens stay out of the console
    log('event', ev, (data && data.code) || '');
    for (const fn of handlers[ev] || []) try { fn(data); } catch (e) { console.error(e); }
  };
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
    : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));

  // what can be attached: images, and the files the relay takes (it sniffs them and may refuse)
  const FILES = /\.(pdf|txt|csv|docx|xlsx|pptx|odt|ods|odp|zip)$/i;
  const ACCEPT = 'image/png,image/jpeg,image/gif,image/webp,.pdf,.txt,.csv,.docx,.xlsx,.pptx,.odt,.ods,.odp,.zip';
  const isImage = (f) => /^image\/(png|jpeg|gif|webp)$/.test(f.type);
  const icon = (p) => {
    const ns = 'http://www.w3.org/2000/svg', svg = d.createElementNS(ns, 'svg'), path = d.createElementNS(ns, 'path');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    path.setAttribute('d', p);
    svg.append(path);
    return svg;
  };
  const star = () => icon('M12 2.5l2.9 6.1 6.6.8-4.9 4.6 1.3 6.6L12 17.3l-5.9 3.3 1.3-6.6-4.9-4.6 6.6-.8z');
  // a thumb up; the down one is the same turned over (CSS), no emoji font needed
  const thumb = () => icon('M2 21h4V9H2zM22 10a2 2 0 0 0-2-2h-6.3l1-4.6c.1-.5-.1-1-.4-1.4L14.2 1 7.6 7.6C7.2 8 7 8.5 7 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7z');

  // --- the panel ---
  const style = el('style');
  style.textContent = CSS;
  const status = el('small');
  const team = el('div', { class: 'tm', hidden: true });
  const closeBtn = el('button', { type: 'button', 'aria-label': T('close'), onclick: () => close() }, '×');
  const saveBtn = el('button', { type: 'button', class: 'dl', 'aria-label': T('transcript'), title: T('transcript'), onclick: () => transcript() }, '⤓');
  // the conversation by e-mail, where the relay can send mail (config email_transcript); its
  // label keeps clear of the forms' "E-mail" field, which pages and tests find by that word
  const mailBtn = el('button', { type: 'button', class: 'dl', 'aria-label': T('mailTranscript'), title: T('mailTranscript'), hidden: true,
    onclick: () => { mailing = !mailing; gate(); focusIn(); } }, '✉');
  const header = el('div', { class: 'hd' }, team, el('div', { class: 't' }, el('b', { text: cfg.name || T('chat') }), status), mailBtn, saveBtn, closeBtn);
  // beside the bubble, outside the panel: heard while the panel is closed
  const live = el('div', { class: 'sr', role: 'status', 'aria-live': 'polite' });
  const banner = el('div', { class: 'bn', role: 'status', hidden: true });
  const queueText = el('span');
  const queueLine = el('div', { class: 'qu', role: 'status', hidden: true }, queueText, ' ',
    el('button', { type: 'button', class: 'ln', onclick: () => { leaving = true; gate(); focusIn(); } }, T('leaveInstead')));
  const list = el('div', { class: 'm', role: 'log', 'aria-live': 'polite', 'aria-label': T('messages') });
  const pend = el('div');                  // the visitor's messages not yet stored
  const typing = el('div', { class: 'ty', 'aria-live': 'polite' });
  const box = el('div', { class: 'bx', hidden: true });
  const preview = el('div', { class: 'pv', hidden: true });
  const error = el('div', { class: 'er', role: 'alert' });
  const input = el('textarea', { 'aria-label': T('message'), rows: 1, maxlength: 4000 });
  const picker = el('input', { type: 'file', accept: ACCEPT, hidden: true, tabindex: -1 });
  const attachBtn = el('button', { type: 'button', class: 'a', 'aria-label': T('attach'), onclick: () => picker.click() }, '+');
  const sendBtn = el('button', { type: 'button', onclick: () => submitComposer() }, T('send'));
  const composer = el('div', { class: 'cp' }, attachBtn, input, picker, sendBtn);
  // The Help tab (issue 16): the site's published articles, searched before the visitor writes.
  const tab = (name, label) => el('button', { type: 'button', role: 'tab', id: 'cf-t' + name, 'aria-controls': 'cf-' + name,
    onclick: () => showTab(name) }, label);
  const tabs = el('div', { class: 'tb', role: 'tablist', hidden: true }, tab('c', T('chat')), tab('h', T('help')));
  const hq = el('input', { type: 'search', 'aria-label': T('searchHelp'), placeholder: T('searchHelp'), maxlength: 200 });
  const hits = el('ul', { 'aria-live': 'polite' });
  const help = el('div', { class: 'hp', id: 'cf-h', role: 'tabpanel', 'aria-labelledby': 'cf-th' }, hq, hits,
    el('button', { type: 'button', onclick: () => {
      // into the message box, or the offline form's message when nobody is there
      const t = (!box.hidden && box.querySelector('textarea')) || input;
      showTab('c', 1);
      if (!t.value) t.value = hq.value;
      t.focus();
    } }, T('askUs')));
  let helpTimer = 0, helpSeq = 0;
  function showTab(name, quiet) {
    tabs.dataset.s = 1;
    panel.classList.toggle('hv', name == 'h');
    for (const b of tabs.children) b.setAttribute('aria-selected', b.id == 'cf-t' + name);
    list.id = 'cf-c';
    if (!quiet) (name == 'h' ? hq : input).focus({ preventScroll: true });
  }
  async function searchHelp() {
    const q = hq.value.trim(), n = ++helpSeq;
    if (q.length < 2) return hits.replaceChildren();
    try {
      const r = await fetch(base + 'api/v1/widget/articles?site_key=' + encodeURIComponent(key) + '&q=' + encodeURIComponent(q));
      const found = r.ok ? (await r.json()).articles || [] : [];
      if (n != helpSeq) return;
      hits.replaceChildren(...(found.length ? found.map((a) => el('li', null,
        el('a', { href: safeUrl(a.path, base), target: '_blank', rel: 'noopener noreferrer', text: a.title }),
        el('p', { text: a.excerpt }))) : [el('li', { text: T('noArticles') })]));
    } catch (e) {
      log('help search failed', e);
    }
  }
  hq.addEventListener('input', () => { clearTimeout(helpTimer); helpTimer = setTimeout(searchHelp, 250); });
  const panel = el('div', { class: 'p', role: 'dialog', 'aria-modal': 'true', 'aria-label': cfg.name || T('chat'), hidden: true, tabindex: -1 },
    header, tabs, help, banner, queueLine, list, typing, box, preview, error, composer);
  list.append(pend);
  B.wrap.append(style, live, panel);

  // the greeting first, then the welcome message: the site's words, before anything is sent
  const welcome = () => {
    list.querySelectorAll('.w').forEach((n) => n.remove());
    for (const text of [pick(S.welcome_message), pick(S.greeting)])
      if (text && typeof text == 'string') list.prepend(el('div', { class: 'g w' }, el('span', { class: 'x' }, ...linkify(text))));
  };

  // The team in the header: who answers (online now, else the last ones who did), how fast, and
  // when they are back outside working hours.
  const showTeam = () => {
    const tm = cfg.team || {};
    const agents = (tm.agents || []).slice(0, 3);
    team.hidden = !agents.length;
    team.replaceChildren(...agents.map((a) => {
      const url = a.avatar_url && safeUrl(a.avatar_url, base);
      const initials = String(a.name || '?').split(/\s+/).map((x) => x[0]).join('').slice(0, 2).toUpperCase();
      return url ? el('img', { src: url, alt: '', title: a.name }) : el('span', { title: a.name, 'aria-hidden': 'true' }, initials);
    }));
    if (agents.length) team.append(el('span', { class: 'sr' }, agents.map((a) => a.name).join(', ')));
  };
  const teamLine = () => {
    const tm = cfg.team || {};
    if (isOffline() && tm.back_at) {
      const at = new Date(tm.back_at);
      if (isNaN(at)) return '';
      const soon = at - Date.now() < 20 * 3600 * 1000;
      return T('backAt', { when: at.toLocaleString(lang, soon ? { hour: '2-digit', minute: '2-digit' } : { weekday: 'long', hour: '2-digit', minute: '2-digit' }) });
    }
    const rt = tm.reply_time_seconds;
    if (isOffline() || !(rt > 0)) return '';
    const n = Math.ceil(rt / 60);
    return n <= 1 ? T('replyMin') : n < 60 ? T('replyMins', { n }) : T('replyHours', { n: Math.ceil(rt / 3600) });
  };

  const applyConfig = (c) => {
    cfg = c;
    S = c.settings || {};
    input.placeholder = pick(S.placeholder) || T('placeholder');
    welcome();
    showTeam();
    gate();
    // a site with published articles has the Help tab (shown first until the visitor writes)
    tabs.hidden = !c.help;
    if (!c.help) panel.classList.remove('hv');
  };
  C._cfg = applyConfig;

  // --- what the panel shows: offline form, pre-chat, consent, rating, or just the chat ---
  const inHours = () => {
    const wh = S.working_hours;
    if (!wh || !wh.days) return true;
    try {
      const parts = new Intl.DateTimeFormat('en-US', {
        timeZone: wh.timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
      }).formatToParts(new Date());
      const part = (t) => parts.find((x) => x.type == t).value;
      const now = part('hour') + ':' + part('minute');
      return (wh.days[part('weekday').slice(0, 3).toLowerCase()] || []).some((r) => now >= r.slice(0, 5) && now < r.slice(6));
    } catch (e) {
      return true;
    }
  };
  const isOffline = () => !online || !inHours();
  const phone = () => w.matchMedia('(max-width:480px)').matches;
  const teams = () => cfg.teams || [];
  const needsPrechat = () => ((S.prechat && S.prechat != 'off') || teams().length) && !profile.prechat;
  function needsConsent() { return S.consent_required && !profile.consent_at; }
  const canSend = () => !needsConsent() && !(S.prechat == 'required' && !profile.prechat);
  let boxKind = '', mailing = false;

  function gate() {
    let kind = '';
    if (blocked) kind = 'blocked';
    else if (mailing && conv) kind = 'mail';
    else if (conv && (conv.status == 'resolved' || conv.status == 'closed') && !store('rated:' + conv.id)) kind = 'rate';
    // before the first welcome nobody knows who is online: no offline form yet
    // with the assistant on, a visitor may ask even when nobody of the team is there; a visitor
    // in the queue may leave a message instead
    else if ((ready && isOffline() && !conv && !store('left') && !(cfg.assistant && cfg.assistant.enabled)) || leaving) kind = 'leave';
    else if (needsPrechat()) kind = 'prechat';
    else if (needsConsent()) kind = 'consent';
    // waiting for consent there is no connection: the team's state from the config, if any
    const known = state == 'online' || (state == 'idle' && cfg.team && typeof cfg.team.online == 'boolean');
    const off = state == 'online' ? isOffline() : !(cfg.team && cfg.team.online) || !inHours();
    status.textContent = state == 'idle' && !known ? '' : known ? T(off ? 'offline' : 'online') + (teamLine() ? ' · ' + teamLine() : '') : T(state);
    banner.hidden = state != 'reconnecting';
    banner.textContent = T('reconnecting');
    // "You are number 2 in line — about 3 minutes"
    queueLine.hidden = !inLine || !inLine.position || leaving;
    if (!queueLine.hidden) {
      const m = inLine.estimated_wait_seconds == null ? 0 : Math.max(1, Math.round(inLine.estimated_wait_seconds / 60));
      queueText.textContent = T('queue', { n: inLine.position }) + (m ? ' — ' + T(m == 1 ? 'aboutMin' : 'aboutMins', { n: m }) : '');
    }
    mailBtn.hidden = !(cfg.email_transcript && conv && ident.visitor_token) || blocked;
    composer.hidden = kind == 'leave' || kind == 'prechat' || kind == 'blocked';
    sendBtn.setAttribute('aria-disabled', canSend() ? 'false' : 'true');
    if (kind == boxKind) return;
    boxKind = kind;
    const hadFocus = box.contains(B.root.activeElement);
    box.replaceChildren();
    box.hidden = !kind;
    if (kind) box.append(...forms[kind]());
    // focus must not fall out of the panel when the part it was in goes away
    if (hadFocus && isOpen) focusIn();
  }

  const field = (name, label, type, required) => {
    // no longer than the relay takes (MAX_NAME_CHARS, MAX_EMAIL_CHARS, MAX_BODY_CHARS)
    const f = el(type == 'area' ? 'textarea' : 'input', { name, type: type == 'area' ? null : type, required, rows: 3,
      maxlength: type == 'area' ? 4000 : type == 'email' ? 254 : 100, autocomplete: type == 'email' ? 'email' : type == 'text' ? 'name' : null });
    // the input inside its label: clicking the words focuses it, and it is named by them
    return [el('label', {}, el('span', { text: label }), f)];
  };
  const values = (form) => {
    const v = {};
    for (const f of form.querySelectorAll('input,textarea')) {
      if (f.required && !f.value.trim()) { error.textContent = T('required'); f.focus(); return null; }
      v[f.name] = f.value.trim();
    }
    error.textContent = '';
    return v;
  };
  const forms = {
    blocked: () => [el('p', { role: 'status', text: T('blocked') })],
    mail: () => {
      const done = () => { mailing = false; gate(); focusIn(); };
      const form = el('form', { onsubmit: (e) => {
        e.preventDefault();
        const v = values(form);
        if (!v || !conv) return;
        fetch(base + 'api/v1/widget/transcript', { method: 'POST',
          headers: { Authorization: 'Bearer ' + ident.visitor_token, 'Content-Type': 'application/json' },
          body: JSON.stringify({ conversation_id: conv.id, email: v.email }) })
          .then((r) => {
            if (r.status != 202) { error.textContent = T(r.status == 429 ? 'mailLater' : 'mailFailed'); return; }
            done();
            note(T('mailSent', { email: v.email }));
          }, () => { error.textContent = T('mailFailed'); });
      } },
      el('p', { text: T('mailTranscript') }), ...field('email', T('email'), 'email', true),
      el('div', { class: 'row' }, el('button', { type: 'submit' }, T('mailSend')),
        el('button', { type: 'button', class: 'sec', onclick: done }, T('cancel'))));
      form.querySelector('input').value = profile.email || '';
      return [form];
    },
    leave: () => {
      const form = el('form', { onsubmit: (e) => {
        e.preventDefault();
        const v = values(form);
        if (v && !send({ type: 'leave_message', name: v.name || undefined, email: v.email, body: v.body }))
          error.textContent = T('reconnecting');
        else if (v) leftBody = v.body;
      } },
      el('p', { text: pick(S.offline_message) || T('offline') }), el('p', { text: T('leave') }),
      ...field('name', T('name'), 'text'), ...field('email', T('email'), 'email', true),
      ...field('body', T('message'), 'area', true), el('button', { type: 'submit' }, T('leaveSend')));
      return [form];
    },
    prechat: () => {
      const req = S.prechat == 'required', ask = S.prechat && S.prechat != 'off';
      // issue 18: the visitor picks a team when the site lets them (the config's teams)
      const pickTeam = teams().length ? el('select', { name: 'team' },
        ...teams().map((x) => el('option', { value: x.key, text: x.name, selected: x.key == routeTeam }))) : null;
      const form = el('form', { onsubmit: (e) => {
        e.preventDefault();
        const v = values(form);
        if (pickTeam) routeTeam = pickTeam.value;
        if (v) { profile = { ...profile, name: v.name || undefined, email: v.email || undefined, prechat: 1 }; store('profile', profile); rehello(); }
      } },
      el('p', { text: T(ask ? 'prechat' : 'pickTeam') }), ...(ask ? [...field('name', T('name'), 'text', req), ...field('email', T('email'), 'email', req)] : []),
      pickTeam && el('label', {}, el('span', { text: T('team') }), pickTeam),
      el('div', { class: 'row' }, el('button', { type: 'submit' }, T('start')),
        req ? null : el('button', { type: 'button', class: 'sec', onclick: () => { profile.prechat = 1; store('profile', profile); gate(); focusIn(); } }, T('skip'))));
      return [form];
    },
    consent: () => [
      el('p', { text: pick(S.consent_text) || T('consent') }),
      el('button', { type: 'button', onclick: () => {
        profile.consent_at = new Date().toISOString();
        store('profile', profile);
        rehello();
        focusIn();
      } }, T('agree')),
    ],
    rate: () => {
      let score = 0;
      // real stars; those up to the one under the pointer or focus light up, as do the chosen
      const light = (k) => stars.forEach((s, i) => s.classList.toggle('h', i < k));
      const stars = [1, 2, 3, 4, 5].map((n) => el('button', { type: 'button', 'aria-pressed': 'false', 'aria-label': T('stars', { n }),
        onpointerenter: () => light(n), onpointerleave: () => light(0), onfocus: () => light(n), onblur: () => light(0), onclick: () => {
          score = n;
          stars.forEach((s, i) => s.setAttribute('aria-pressed', i < n ? 'true' : 'false'));
        } }, star()));
      const comment = el('textarea', { placeholder: T('comment'), rows: 2, maxlength: 1000 });
      return [el('p', { text: T('rate') }), el('div', { class: 'r5', role: 'group', 'aria-label': T('rate') }, ...stars),
        el('label', {}, el('span', { class: 'sr', text: T('comment') }), comment),
        el('button', { type: 'button', onclick: () => { if (score) send({ type: 'rate', score, comment: comment.value.trim() || undefined }); } }, T('rateSend'))];
    },
  };
  // The end of the offline form or the rating: a note in the conversation, in its place among
  // the messages (never pinned below newer ones), and the box gives way to the chat.
  const note = (text) => {
    list.insertBefore(el('div', { class: 'g s', role: 'status' }, el('span', { class: 'x', text })), pend);
    scroll();
  };
  const finishBox = (text, mark) => {
    store(mark, 1);
    note(text);
    gate();
  };

  // --- messages ---
  const timeText = (iso) => {
    try { return new Date(iso).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' }); } catch (e) { return ''; }
  };

  // An image from the relay. If it needs the visitor's token (no cookie can carry it), it is
  // fetched with the Authorization header and shown from a blob: URL.
  const image = (att) => {
    const full = safeUrl(att.url, base), thumb = safeUrl(att.thumb_url || att.url, base);
    if (!thumb) return null;
    const img = el('img', { alt: T('image'), loading: 'lazy' });
    const authed = (url) => fetch(url, { headers: { Authorization: 'Bearer ' + ident.visitor_token } })
      .then((r) => (r.ok ? r.blob() : Promise.reject(r.status))).then((b) => URL.createObjectURL(b));
    img.onerror = () => { img.onerror = null; link.dataset.auth = 1; authed(thumb).then((u) => (img.src = u), () => {}); };
    img.src = thumb;
    const link = el('a', { href: full, target: '_blank', rel: 'noopener noreferrer', onclick: (e) => {
      if (!link.dataset.auth) return;
      e.preventDefault();
      // not "noopener": window.open() would return null and the image could not be shown;
      // the tab is cut from this page right away instead
      const win = w.open('', '_blank');
      if (win) win.opener = null;
      authed(full).then((u) => { if (win) win.location = u; }, () => win && win.close());
    } }, img);
    return link;
  };

  const kb = (n) => (n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' KB');
  const ext = (name) => (/\.(\w{1,5})$/.exec(name || '') || [, T('file')])[1].toUpperCase();

  // A file that is not an image: a card with its name, type and size that downloads it, never
  // shows it (the relay serves it as an attachment; the visitor's token comes along).
  const fileCard = (att, local) => {
    const name = att.name || T('file');
    const card = el('a', { class: 'fc', href: local ? null : safeUrl(att.url, base), download: name, 'aria-label': T('download', { name }),
      onclick: (e) => {
        e.preventDefault();
        if (local || !card.href) return;
        fetch(card.href, { headers: ident.visitor_token ? { Authorization: 'Bearer ' + ident.visitor_token } : {} })
          .then((r) => (r.ok ? r.blob() : Promise.reject(r.status)))
          .then((b) => saveAs(b, name), () => {});
      } },
    el('span', { class: 'fi', 'aria-hidden': 'true' }, ext(name)), el('span', { class: 'fn', text: name }),
    el('span', { class: 'fs', text: att.size ? kb(att.size) : '' }));
    return card;
  };
  const saveAs = (blob, name) => {
    const a = el('a', { href: URL.createObjectURL(blob), download: name });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  };
  const isFile = (att) => att.kind == 'file' || (att.kind != 'image' && att.mime && !/^image\//.test(att.mime));

  // One vote per answer, changeable. The relay keeps the latest and says it with the message
  // ("vote") and to every tab (faq_feedback_recorded); this page's own copy shows it at once.
  const votes = store('votes') || {};
  const voteRows = [];
  const voteRow = (m) => {
    const k = m.conversation_id + ':' + m.seq;
    if (m.vote) votes[k] = m.vote == 'up';
    const row = el('div', { class: 'vt', role: 'group', 'aria-label': T('helpful') }, el('span', { 'aria-hidden': 'true' }, T('helpful')));
    const show = () => { for (const b of row.querySelectorAll('button')) b.setAttribute('aria-pressed', votes[k] === (b.value == 'y')); };
    for (const up of [true, false])
      row.append(el('button', { type: 'button', value: up ? 'y' : 'n', 'aria-label': T(up ? 'yes' : 'no'),
        onclick: () => {
          if (!send(Object.assign({ type: 'faq_feedback', helpful: up }, m.faq_id ? { faq_id: m.faq_id } : { seq: m.seq }))) return;
          votes[k] = up;
          // the newest 100 votes are plenty to show
          const keys = Object.keys(votes);
          if (keys.length > 100) delete votes[keys[0]];
          store('votes', votes);
          show();
        } }, thumb()));
    show();
    voteRows.push({ k, c: m.conversation_id, seq: m.seq, faq: m.faq_id, show });
    return row;
  };

  const bubble = (m, mine) => {
    const type = m.sender && m.sender.type;
    const own = mine || type == 'visitor';
    const node = el('div', { class: 'g' + (own ? ' v' : type == 'system' ? ' s' : '') });
    const who = own ? T('you') : (m.sender && m.sender.name) || T('support');
    // a screen reader hears who speaks before what is said
    if (type != 'system') node.append(el('span', { class: 'sr' }, who + ': '));
    const text = el('span', { class: 'x' });
    if (m.body) text.append(...linkify(m.body));
    if (m.attachment) text.append((isFile(m.attachment) ? fileCard(m.attachment) : image(m.attachment)) || '');
    node.append(text);
    node.msg = { who, body: m.body, at: m.created_at, att: m.attachment };
    // the assistant's answer: what it read, as links to the help centre where there is one
    if (m.assistant && m.sources && m.sources.length)
      node.append(el('div', { class: 'src' }, T('sources'), ...m.sources.map((s) => {
        const href = s.url && safeUrl(s.url);
        return href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer', text: s.title }) : el('span', { text: s.title });
      })));
    for (const a of m.actions || [])
      if (a.type == 'talk_to_human')
        node.append(el('div', { class: 'k' }, el('button', { type: 'button', onclick: (e) => { e.target.disabled = true; send({ type: 'talk_to_human' }); } }, a.label || T('human'))));
      else if (a.type == 'ask_email' && !profile.email) node.append(askEmail(a.label));
    // "Was this helpful?" under a stored answer of the assistant (or the FAQ bot)
    if (type == 'bot' && m.seq && (m.assistant || m.faq_id)) node.append(voteRow(m));
    const foot = el('span', { class: 'f' });
    // seen, not heard: the screen reader had the name first
    if (type != 'visitor' && !mine && m.sender && m.sender.name) foot.append(el('span', { 'aria-hidden': 'true' }, m.sender.name + ' · '));
    // no person wrote this: said in words, for everyone
    if (m.assistant) foot.append(el('span', { class: 'ai' }, T('assistant')), ' · ');
    foot.append(el('time', { datetime: m.created_at }, timeText(m.created_at)));
    node.append(foot);
    node.foot = foot;
    return node;
  };

  const setState = (p, s, why) => {
    p.state = s;
    p.node.classList.toggle('e', s == 'failed');
    const f = p.node.foot;
    f.replaceChildren(el('time', { datetime: p.at }, timeText(p.at)), ' · ', s == 'uploading' ? T('uploading', { p: p.percent | 0 }) : T(s));
    if (why) f.append(' — ' + why);
    if (s == 'failed') f.append(el('button', { type: 'button', onclick: () => retry(p) }, T('retry')));
    if (s == 'uploading') f.append(el('progress', { max: 100, value: p.percent | 0 }));
  };

  const saveOutbox = () => store('outbox', outbox);
  const dropOutbox = (id) => { outbox = outbox.filter((o) => o.client_id != id); saveOutbox(); };

  const scroll = () => { list.scrollTop = list.scrollHeight; };

  // The assistant's answers while they are written (assistant_delta: the whole text so far).
  const drafts = new Map();
  // answers stored or dropped: a draft of theirs arriving late (another relay's) stays away
  const ended = new Set();
  function showDraft(f) {
    if (!f.stream_id || typeof f.text != 'string' || ended.has(f.stream_id)) return;
    let d = drafts.get(f.stream_id);
    if (!d) {
      d = bubble({ sender: { type: 'bot', name: (cfg.assistant && cfg.assistant.name) || T('assistant') }, assistant: true, created_at: new Date().toISOString() });
      d.classList.add('dr');
      d.setAttribute('aria-busy', 'true');
      drafts.set(f.stream_id, d);
      list.insertBefore(d, pend);
    }
    d.querySelector('.x').replaceChildren(...linkify(f.text));
    scroll();
  }

  function showMessage(m) {
    if (!m.conversation_id || !m.seq) return;
    const k = m.conversation_id + ':' + m.seq;
    if (!conv || conv.id != m.conversation_id) { conv = { id: m.conversation_id, status: 'open' }; lastSeq = 0; }
    if (seen.has(k)) {
      // acked before its echo came: the echo still brings the stored image
      const mine = m.client_id && confirmed.get(m.client_id);
      if (mine && m.attachment) useStoredImage(mine, m.attachment);
      return;
    }
    seen.add(k);
    lastSeq = Math.max(lastSeq, m.seq);
    const p = m.client_id && pending.get(m.client_id);
    if (p) {
      confirm(p, m.seq);
      if (m.attachment) useStoredImage(p.node, m.attachment);
    } else {
      // the assistant's stored answer takes its streamed draft's place
      if (m.stream_id) ended.add(m.stream_id);
      const draft = m.stream_id && drafts.get(m.stream_id);
      if (draft) {
        drafts.delete(m.stream_id);
        draft.replaceWith(bubble(m));
      } else list.insertBefore(bubble(m), pend);
      if (m.sender.type != 'visitor') {
        // that agent is no longer typing: their message is here
        if (typingWho && typingWho == m.sender.name) showTyping({ active: false });
        if (!isOpen && m.seq > readOf(m.conversation_id)) B.badge(++unread);
        if (synced) {
          beep();
          if (!isOpen) announce(m);
        }
      }
    }
    if (synced) emit('message', m);
    if (isOpen && synced) markRead();
    scroll();
  }

  const announce = (m) => {
    B.bubble.title = live.textContent = T('newFrom', { name: m.sender.name || T('support'), text: (m.body || T('file')).slice(0, 80) });
  };

  // The local preview of an upload gives way to the relay's thumbnail, which opens full size.
  function useStoredImage(node, att) {
    const local = node.querySelector('.x > img, .x > .fc');
    const img = isFile(att) ? fileCard(att) : image(att);
    if (local && img) local.replaceWith(img);
    if (node.msg) node.msg.att = att;
  }

  function confirm(p, seq) {
    clearTimeout(p.timer);
    pending.delete(p.item.client_id);
    if (p.file) confirmed.set(p.item.client_id, p.node);
    dropOutbox(p.item.client_id);
    setState(p, 'sent');
    list.insertBefore(p.node, pend);
    p.node.dataset.seq = seq;
  }

  function trySend(p) {
    if (p.state == 'uploading') return;
    setState(p, 'sending');
    if (!hello || !synced) return;   // flushed after the next "synced"
    const { client_id, body, attachment_id } = p.item;
    send({ type: 'message', client_id, body, attachment_id, team: (!conv && routeTeam) || undefined });
    clearTimeout(p.timer);
    // no ack in time: say so; the message stays in the outbox and goes again on reconnect
    p.timer = setTimeout(() => p.state == 'sending' && setState(p, 'failed'), 10000);
  }

  function retry(p) {
    if (!p.item.attachment_id && p.file) return upload(p);
    if (!outbox.some((o) => o.client_id == p.item.client_id)) { outbox.push(p.item); saveOutbox(); }
    trySend(p);
  }

  function queue(p) {
    outbox.push(p.item);
    saveOutbox();
    trySend(p);
  }

  function addPending(item, f) {
    const p = { item, file: f, at: item.at || new Date().toISOString(), node: null };
    p.node = bubble({ body: item.body, created_at: p.at }, true);
    if (f) p.node.querySelector('.x').append(isImage(f) ? el('img', { src: URL.createObjectURL(f), alt: T('image') }) : fileCard({ name: f.name, size: f.size }, true));
    if (f) p.node.msg.att = { name: f.name };
    pending.set(item.client_id, p);
    pend.append(p.node);
    scroll();
    return p;
  }

  function submit(text, f) {
    if (!canSend()) {
      error.textContent = T('consentFirst');
      emit('error', { code: 'consent_required', message: T('consentFirst') });
      return false;
    }
    interacted = true;
    const item = { client_id: uuid(), body: text || undefined, at: new Date().toISOString() };
    const p = addPending(item, f);
    if (f) upload(p);
    else queue(p);
    return true;
  }

  function submitComposer() {
    const text = input.value.trim();
    if (!text && !file) return;
    if (submit(text, file)) {
      input.value = '';
      setFile(null);
      typingStop();
      grow();
    }
  }

  // --- images ---
  function setFile(f) {
    error.textContent = '';
    if (f && !isImage(f) && !FILES.test(f.name || '')) { error.textContent = T('notImage'); return; }
    if (f && f.size > 10 * 1024 * 1024) { error.textContent = T('tooBig'); return; }
    file = f;
    preview.replaceChildren();
    preview.hidden = !f;
    if (f) preview.append(isImage(f) ? el('img', { src: URL.createObjectURL(f), alt: T('image') }) : el('span', { class: 'fi', 'aria-hidden': 'true' }, ext(f.name)),
      el('span', { class: 'fn', text: f.name || T('image') }),
      el('button', { type: 'button', 'aria-label': T('remove'), onclick: () => setFile(null) }, '×'));
  }

  function upload(p) {
    if (!ident.visitor_token) { setState(p, 'failed'); return; }
    p.state = 'uploading';
    p.percent = 0;
    setState(p, 'uploading');
    const x = new XMLHttpRequest();
    // the relay sniffs the type from the bytes; the name is what the agent sees and downloads
    const q = new URLSearchParams({ name: (p.file.name || 'file').slice(0, 200) });
    if (conv) q.set('conversation_id', conv.id);
    x.open('POST', base + 'api/v1/uploads?' + q);
    x.setRequestHeader('Authorization', 'Bearer ' + ident.visitor_token);
    x.setRequestHeader('Content-Type', p.file.type || 'application/octet-stream');
    x.upload.onprogress = (e) => { if (e.lengthComputable) { p.percent = (100 * e.loaded) / e.total; setState(p, 'uploading'); } };
    x.onload = () => {
      let r = {};
      try { r = JSON.parse(x.responseText); } catch (e) { /* not JSON: handled below */ }
      if (x.status >= 200 && x.status < 300 && r.id) {
        p.item.attachment_id = r.id;
        p.state = 'sending';
        queue(p);
      } else {
        p.state = 'failed';
        setState(p, 'failed', r.error && r.error.message);
        emit('error', r.error || { code: 'upload_failed' });
      }
    };
    x.onerror = () => { p.state = 'failed'; setState(p, 'failed'); };
    x.send(p.file);
  }

  const firstImage = (items, any) => [...(items || [])].map((i) => (i.getAsFile ? i.kind == 'file' && i.getAsFile() : i))
    .find((f) => f && (any || /^image\//.test(f.type)));
  picker.onchange = () => { setFile(picker.files[0] || null); picker.value = ''; input.focus(); };
  input.addEventListener('paste', (e) => {
    const f = firstImage(e.clipboardData && e.clipboardData.items);
    if (f) { e.preventDefault(); setFile(f); }
  });
  panel.addEventListener('dragover', (e) => { e.preventDefault(); panel.classList.add('dz'); });
  panel.addEventListener('dragleave', () => panel.classList.remove('dz'));
  panel.addEventListener('drop', (e) => {
    e.preventDefault();
    panel.classList.remove('dz');
    const f = firstImage(e.dataTransfer && e.dataTransfer.files, true);
    if (f) setFile(f);
  });

  // --- typing: a throttled preview (or only "is typing" when the site turned previews off) ---
  let typingTimer = 0, typingLast = 0, typingIdle = 0, typingOn = false;
  // As tall as its text up to 120 px, borders included: an empty box shows no scroll bar.
  const grow = () => {
    input.style.height = 'auto';
    const h = input.scrollHeight + input.offsetHeight - input.clientHeight;
    input.style.height = Math.min(h, 120) + 'px';
    input.style.overflowY = h > 120 ? 'auto' : 'hidden';
  };
  function typingStop() {
    clearTimeout(typingTimer);
    clearTimeout(typingIdle);
    typingTimer = 0;
    if (typingOn) send({ type: 'typing_stop' });
    typingOn = false;
  }
  input.addEventListener('input', () => {
    grow();
    // also before the first message: agents see who is about to write (no conversation id yet)
    if (!hello || !canSend()) return;
    if (!input.value.trim()) return typingStop();
    clearTimeout(typingIdle);
    typingIdle = setTimeout(typingStop, 5000);
    if (typingTimer) return;
    const every = S.typing_preview === false ? 2000 : 150;
    typingTimer = setTimeout(() => {
      typingTimer = 0;
      typingLast = Date.now();
      typingOn = true;
      send({ type: 'typing', preview: S.typing_preview === false ? '' : input.value.slice(0, 4000) });
    }, Math.max(0, every - (Date.now() - typingLast)));
  });
  input.addEventListener('keydown', (e) => {
    if (e.key == 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submitComposer(); }
  });

  let agentTyping = 0, typingWho = null;
  const showTyping = (f) => {
    clearTimeout(agentTyping);
    typingWho = f.active ? (f.sender && f.sender.name) || null : null;
    typing.textContent = f.active ? T('typing', { name: (f.sender && f.sender.name) || T('support') }) : '';
    if (f.active) agentTyping = setTimeout(() => (typing.textContent = ''), 8000);
  };

  // --- sound: only after the visitor interacted with the page (browsers require it anyway);
  // userActivation also knows of clicks made before this file loaded ---
  const touched = () => { interacted = true; };
  d.addEventListener('pointerdown', touched, { capture: true, once: true });
  d.addEventListener('keydown', touched, { capture: true, once: true });
  function beep() {
    const ua = navigator.userActivation;
    if (S.sound === false || !(interacted || (ua && ua.hasBeenActive))) return;
    try {
      const a = audio || (audio = new (w.AudioContext || w.webkitAudioContext)());
      const o = a.createOscillator(), g = a.createGain(), t = a.currentTime;
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.0001, t);
      g.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      o.connect(g).connect(a.destination);
      o.start(t);
      o.stop(t + 0.32);
    } catch (e) { /* no audio: no sound */ }
  }

  // --- fingerprint: a hash of a few stable traits, only where the site enables it ---
  async function fingerprint() {
    try {
      const n = navigator, s = screen;
      const traits = [n.userAgent, n.language, (n.languages || []).join(), n.platform, n.hardwareConcurrency, n.deviceMemory,
        s.width + 'x' + s.height + 'x' + s.colorDepth, Intl.DateTimeFormat().resolvedOptions().timeZone].join('|');
      const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(traits));
      return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('');
    } catch (e) {
      return undefined;   // crypto.subtle needs a secure context
    }
  }

  // --- the connection ---
  const wsUrl = base.replace(/^http/, 'ws') + 'ws/widget?site_key=' + encodeURIComponent(key);
  const page = () => ({ url: location.href.slice(0, 2048), title: d.title.slice(0, 500), referrer: d.referrer.slice(0, 2048) });

  function send(frame) {
    if (!ws || ws.readyState != 1 || (!hello && frame.type != 'hello')) return false;
    log('→', frame.type);
    ws.send(JSON.stringify(frame));
    return true;
  }

  function setConnState(s) {
    state = s;
    gate();
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = 0;
    if (stopped || blocked) return;
    // no hello, no page view, no fingerprint before the visitor agreed
    if (needsConsent()) return setConnState('idle');
    setConnState(attempt ? 'reconnecting' : 'connecting');
    let s;
    try { s = new WebSocket(wsUrl); } catch (e) { return reconnectLater(); }
    ws = s;
    hello = synced = false;
    s.onopen = async () => {
      const fp = S.fingerprint ? await fingerprint() : undefined;
      if (ws != s) return;
      const first = reported == null;
      send({
        type: 'hello', visitor_id: ident.visitor_id || null, visitor_token: ident.visitor_token || null,
        page: first ? page() : undefined, locale: navigator.language, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        user_agent: navigator.userAgent, fingerprint: fp, name: profile.name, email: profile.email,
        consent: profile.consent_at ? { given_at: profile.consent_at } : undefined,
      });
      if (first) reported = location.href;
    };
    s.onmessage = (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch (x) { return; }
      if (ws == s && f && typeof f.type == 'string') { log('←', f.type); onFrame(f); }
    };
    s.onclose = (e) => {
      if (ws != s) return;
      log('closed', e.code);
      ws = null;
      hello = synced = false;
      // 4010: the site's key was rotated. This page still carries the old one, which the relay
      // refuses from now on: trying again would only knock. The visitor sees the chat offline;
      // the site's owner finds the reason in the console.
      if (e.code == 4010) {
        stopped = true;
        console.warn('[confab] this site\'s key was rotated: the page needs the new embed snippet');
        return setConnState('offline');
      }
      // 4008: we read too slowly; the relay dropped us and we resume at once
      if (e.code == 4008) attempt = 0;
      if (e.code == 4011) return block();
      reconnectLater();
    };
  }

  function block() {
    blocked = true;
    clearTimeout(retryTimer);
    setConnState('blocked');
  }

  function reconnectLater() {
    attempt++;
    setConnState('reconnecting');
    // exponential backoff with jitter, so that a restarted relay is not hit by everyone at once
    const cap = Math.min(30000, 500 * 2 ** Math.min(attempt, 6));
    retryTimer = setTimeout(connect, cap / 2 + Math.random() * (cap / 2));
  }

  // After the pre-chat form or the consent: a new hello carries them.
  function rehello() {
    gate();
    if (!ws) {
      if (!retryTimer) connect();
      return;
    }
    const s = ws;
    ws = null;
    s.onclose = null;
    s.close(1000);
    connect();
  }

  function onFrame(f) {
    switch (f.type) {
      case 'welcome':
        if (ident.visitor_id && ident.visitor_id != f.visitor_id) {
          // not the visitor we were (storage from another relay, a revoked token): start afresh
          conv = null;
          lastSeq = 0;
        }
        ident = { visitor_id: f.visitor_id, visitor_token: f.visitor_token };
        store('id', ident);
        hello = true;
        attempt = 0;
        online = f.agents_online | 0;
        inLine = f.queue || null;
        if (f.conversation) setConversation(f.conversation);
        if (typeof read == 'number') read = { c: conv && conv.id, s: read };
        state = 'online';
        if (reported != location.href) pageView();
        if (conv) send({ type: 'resume', after_seq: lastSeq });
        else onSynced();
        eng.check();
        flushGoals();
        const first = !ready;
        ready = true;
        gate();
        if (first) emit('ready');
        break;
      case 'synced':
        onSynced();
        break;
      case 'message':
        if (greeting) { greeting.remove(); greeting = null; }
        showMessage(f);
        break;
      case 'assistant_delta':
        showDraft(f);
        break;
      case 'faq_feedback_recorded':
        // a vote from this tab or another one of this visitor's
        for (const r of voteRows)
          if (r.c == f.conversation_id && (f.faq_id ? r.faq == f.faq_id : r.seq == f.seq)) { votes[r.k] = f.helpful; r.show(); }
        store('votes', votes);
        break;
      case 'assistant_cancel': {
        // the answer was dropped (a person came, the visitor wrote again, the model failed)
        const d = drafts.get(f.stream_id);
        ended.add(f.stream_id);
        if (d) { drafts.delete(f.stream_id); d.remove(); }
        break;
      }
      case 'ack': {
        const p = pending.get(f.client_id);
        if (p && f.conversation_id) {
          if (!conv || conv.id != f.conversation_id) { conv = { id: f.conversation_id, status: 'open' }; lastSeq = 0; }
          seen.add(f.conversation_id + ':' + f.seq);
          lastSeq = Math.max(lastSeq, f.seq);
          confirm(p, f.seq);
          gate();
        }
        break;
      }
      case 'conversation':
        setConversation(f.conversation);
        gate();
        break;
      case 'queue':
        inLine = f;
        gate();
        break;
      case 'agents_online':
        online = f.count | 0;
        gate();
        break;
      case 'typing':
        showTyping(f);
        break;
      case 'left_message':
        // what the visitor wrote stays in view, with the thanks under it
        if (leftBody) list.insertBefore(bubble({ body: leftBody, created_at: new Date().toISOString() }, true), pend);
        leftBody = '';
        leaving = false;
        inLine = null;
        finishBox(T('left'), 'left');
        break;
      case 'rated':
        finishBox(T('rated'), 'rated:' + (conv && conv.id));
        break;
      case 'error':
        onError(f);
        break;
      case 'greeting':
        greet(f);
        break;
    }
  }

  // --- proactive greetings (issue 16): shown until the conversation's own messages come ---
  let greeting = null, politely = false;
  const eng = engage({ list: () => cfg.triggers || [], store, send,
    quiet: () => (conv && conv.status != 'resolved' && conv.status != 'closed') || !inHours() || !!input.value.trim() });
  function greet(f) {
    if (greeting) greeting.remove();
    greeting = bubble({ body: f.text, sender: f.sender, created_at: new Date().toISOString() });
    if (f.ask_email && !profile.email) greeting.append(askEmail());
    list.insertBefore(greeting, pend);
    emit('greeting', { trigger_id: f.trigger_id });
    if (isOpen) return scroll();
    announce({ sender: f.sender, body: f.text });
    B.badge(++unread);
    // the panel opens without taking the focus; on a phone it would cover the page: the badge says it
    if (!phone()) { politely = true; open(); politely = false; }
  }
  // the e-mail of a greeting or an assistant's answer: the next hello carries it
  function askEmail(label) {
    const form = el('form', { class: 'ae', onsubmit: (e) => {
      e.preventDefault();
      const v = values(form);
      if (!v) return;
      profile = { ...profile, email: v.email };
      store('profile', profile);
      rehello();
      form.replaceWith(el('p', { role: 'status', text: T('emailThanks') }));
    } }, ...field('email', label || T('emailAsk'), 'email', true), el('button', { type: 'submit' }, T('send')));
    return form;
  }

  function setConversation(c) {
    if (!c || !c.id) return;
    if (conv && conv.id != c.id) lastSeq = 0;
    conv = c;
  }

  function onSynced() {
    synced = true;
    // what was written while away (or before a reload) goes now, in order, with its client_id
    for (const item of outbox) {
      const p = pending.get(item.client_id) || addPending(item);
      trySend(p);
    }
    if (isOpen) markRead();
    scroll();
  }

  function onError(f) {
    const p = f.ref && pending.get(f.ref);
    log('error', f.code, f.message);
    if (f.code == 'blocked') {
      block();
      emit('error', { code: f.code, message: T('blocked') });
      return;
    }
    if (p) {
      if (f.code == 'rate_limited') {
        clearTimeout(p.timer);
        p.timer = setTimeout(() => trySend(p), Math.max(1, f.retry_after || 1) * 1000);
        return;
      }
      // the relay refused it for good: resending the same would fail again
      clearTimeout(p.timer);
      dropOutbox(p.item.client_id);
      setState(p, 'failed', f.message);
    } else if (f.code != 'rate_limited') {
      error.textContent = f.message || '';
      // hello refused the stored name or e-mail: forget them and ask again, or every hello
      // would fail the same way forever
      if (!hello && (profile.name || profile.email)) {
        profile = { consent_at: profile.consent_at };
        store('profile', profile);
        rehello();
      }
    }
    emit('error', { code: f.code, message: f.message });
  }

  function pageView() {
    reported = location.href;
    send({ type: 'page_view', url: location.href.slice(0, 2048), title: d.title.slice(0, 500) });
  }
  let seenPage = location.href;
  C._nav = () => {
    if (location.href != seenPage) { seenPage = location.href; eng.page(); }
    if (hello && location.href != reported) pageView();
  };

  function markRead() {
    if (!conv || !synced || lastSeq <= readOf(conv.id)) return;
    read = { c: conv.id, s: lastSeq };
    store('read', read);
    send({ type: 'read', seq: lastSeq });
  }

  // --- open, close, keyboard ---
  function open() {
    if (isOpen) return;
    isOpen = true;
    panel.hidden = false;
    B.wrap.classList.add('o');
    B.opened(1);
    unread = 0;
    B.badge(0);
    B.bubble.title = live.textContent = '';
    if (!ws && !retryTimer) connect();
    if (!tabs.hidden && !tabs.dataset.s) showTab(conv ? 'c' : 'h', 1);
    markRead();
    scroll();
    if (phone()) lock(true);
    if (!politely) focusIn();
    emit('opened');
  }

  // Into the panel: the form's first field or the message box; on a phone the panel itself, so
  // that the keyboard does not cover the conversation until the visitor taps where to write.
  function focusIn() {
    if (!isOpen) return;
    const first = box.querySelector('input,textarea,button');
    (phone() ? panel : panel.classList.contains('hv') ? hq : (!box.hidden && first) || input).focus({ preventScroll: true });
  }

  // The full-screen panel on a phone: the page behind it does not scroll; where it was is kept.
  let locked = null;
  function lock(on) {
    const r = d.documentElement.style, b = d.body && d.body.style;
    if (on && !locked) {
      locked = [r.overflow, b && b.overflow];
      r.setProperty('overflow', 'hidden', 'important');
      if (b) b.setProperty('overflow', 'hidden', 'important');
    } else if (!on && locked) {
      r.overflow = locked[0];
      if (b) b.overflow = locked[1];
      locked = null;
    }
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    panel.hidden = true;
    B.wrap.classList.remove('o');
    B.opened(0);
    lock(false);
    // the agents' preview of what the visitor is typing ends with the chat
    typingStop();
    B.bubble.focus();
    emit('closed');
  }

  // --- the transcript: the conversation as a text file, built here from what is shown ---
  function transcript() {
    const lines = [(cfg.name || T('chat')) + ' — ' + new Date().toLocaleString(lang), ''];
    for (const n of list.querySelectorAll('.g')) {
      const m = n.msg;
      if (!m) continue;
      const at = m.at ? new Date(m.at).toLocaleString(lang) : '';
      const att = m.att ? '[' + (m.att.name || T(isFile(m.att) ? 'file' : 'image')) + ']' : '';
      lines.push(`[${at}] ${m.who}: ${[m.body, att].filter(Boolean).join(' ')}`);
    }
    saveAs(new Blob([lines.join('\n') + '\n'], { type: 'text/plain;charset=utf-8' }),
      'chat-' + new Date().toISOString().slice(0, 10) + '.txt');
  }

  w.addEventListener('resize', () => isOpen && lock(phone()));

  // Tab stays inside the open panel; Escape closes it.
  panel.addEventListener('keydown', (e) => {
    if (e.key == 'Escape') { e.preventDefault(); close(); return; }
    if (e.key != 'Tab') return;
    const items = [...panel.querySelectorAll('button,textarea,input,a[href]')]
      .filter((n) => !n.disabled && n.tabIndex >= 0 && n.getClientRects().length);
    if (!items.length) return;
    const first = items[0], last = items[items.length - 1], active = B.root.activeElement;
    if (e.shiftKey && (active == first || !panel.contains(active))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && active == last) { e.preventDefault(); first.focus(); }
  });

  w.addEventListener('online', () => { if (!ws) { attempt = 0; connect(); } });

  // --- the public API; what was queued before we arrived runs now ---
  const api = {
    open,
    close,
    toggle: () => (isOpen ? close() : open()),
    send: (text) => {
      text = String(text == null ? '' : text).trim().slice(0, 4000);
      return text ? submit(text) : false;
    },
    setTeam: (k) => { routeTeam = String(k || '').slice(0, 40); },
    on: (ev, fn) => {
      if (typeof fn != 'function') return;
      (handlers[ev] = handlers[ev] || []).push(fn);
      if (ev == 'ready' && ready) fn();
    },
    // a goal reached (issue 16): Confab.track('purchase', {value: 49.90})
    track: (name, opts) => {
      const v = opts && opts.value;
      goals.push({ type: 'track', name: String(name), value: typeof v == 'number' && isFinite(v) ? v : null });
      flushGoals();
    },
  };
  const goals = [];
  function flushGoals() { while (goals.length && send(goals[0])) goals.shift(); }
  Object.assign(C, api);
  const queued = C.q || [];
  C.q = { push: (call) => { const [m, ...a] = call; if (api[m]) api[m](...a); } };
  for (const call of queued) try { C.q.push(call); } catch (e) { console.error(e); }

  applyConfig(cfg);
  eng.page();
  connect();
  log('chat loaded');
})();
