/* SPDX-License-Identifier: GPL-3.0-or-later */
/* dom.js — building elements without ever parsing HTML. Text from the network only ever becomes
 * text nodes (Element.append(string)) or attribute values; links are built as <a> elements. */

/* el('button', { type: 'button', onclick: fn, text: 'Hi' }, child, 'text', ...) */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const name in props || {}) {
    const value = props[name];
    if (value == null || value === false) continue;
    if (name == 'class') node.className = value;
    else if (name == 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

/* An absolute http(s) URL from @url (maybe relative to @base), or null: never javascript: & co. */
export function safeUrl(url, base) {
  try {
    const u = new URL(url, base);
    return u.protocol == 'http:' || u.protocol == 'https:' ? u.href : null;
  } catch (e) {
    return null;
  }
}

const LINK = /\bhttps?:\/\/[^\s<>"']+|\bwww\.[^\s<>"']+/gi;

/* The nodes of @text with its web addresses made clickable. */
export function linkify(text) {
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    let url = match[0];
    // a sentence's final punctuation is not part of the address
    const trail = /[.,;:!?)\]]+$/.exec(url);
    if (trail) url = url.slice(0, -trail[0].length);
    const href = safeUrl(/^www\./i.test(url) ? 'https://' + url : url);
    if (match.index > at) nodes.push(text.slice(at, match.index));
    nodes.push(href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, url) : url);
    at = match.index + url.length;
  }
  if (at < text.length) nodes.push(text.slice(at));
  return nodes;
}
