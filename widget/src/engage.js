/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engage.js — proactive triggers (issue 16), evaluated on the page. The widget config carries
 * each enabled trigger's id and conditions; when all given conditions hold, the widget asks the
 * relay ({"type":"trigger"}), which answers with the greeting once per visit.
 *
 * A visit ends after 30 minutes without a page of the site (the relay's default
 * new-visit-after-minutes); the widget keeps its count, its referrer and the triggers it asked
 * for in the site's storage, and per trigger how often a matching page was seen. */
const VISIT_MS = 30 * 60e3, QUIET_MS = 3000;

// "*/pricing*": * is any text, the rest literal; case does not matter
const glob = (p) => new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 'i');
const matches = (p, s) => p == null || glob(p).test(s || '');

// o: { list () → triggers, store (key[, value]), send (frame) → bool, quiet () → bool (not now:
// a conversation is going on, outside working hours, no consent) }
export function engage(o) {
  const w = window, d = document, now = () => Date.now();
  let visit = o.store('visit') || {};
  if (!(now() - visit.t < VISIT_MS)) visit = { n: (visit.n | 0) + 1, r: d.referrer, f: [] };
  let since = now(), timer = 0, keyAt = 0;
  const save = () => { visit.t = now(); o.store('visit', visit); };
  save();
  // typing anywhere on the page (the chat's box too): a greeting would interrupt
  w.addEventListener('keydown', () => (keyAt = now()), true);

  const onPage = (t) => matches(t.conditions && t.conditions.url, location.href);

  function check() {
    clearTimeout(timer);
    let wait = Infinity;
    const views = o.store('views') || {};
    for (const t of o.list()) {
      const c = t.conditions || {};
      if (visit.f.includes(t.id) || !onPage(t) || !matches(c.referrer, visit.r) ||
          (c.returning != null && c.returning != visit.n > 1) ||
          (c.page_views != null && views[t.id] != c.page_views)) continue;
      const left = (c.seconds_on_page | 0) * 1000 - (now() - since);
      const typing = QUIET_MS - (now() - keyAt);
      if (left > 0 || typing > 0 || o.quiet() || !o.send({ type: 'trigger', trigger_id: t.id })) {
        wait = Math.min(wait, Math.max(left, typing, 1000));
        continue;
      }
      visit.f.push(t.id);
      save();
      return;   // one greeting at a time; the next page looks again
    }
    if (wait < Infinity) timer = setTimeout(check, wait);
  }

  // a new page (loaded, or a single-page app's navigation): its time starts, it counts
  function page() {
    since = now();
    const views = o.store('views') || {};
    for (const t of o.list()) if (onPage(t)) views[t.id] = (views[t.id] | 0) + 1;
    o.store('views', views);
    save();
    check();
  }
  return { page, check };
}
