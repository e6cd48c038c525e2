/* SPDX-License-Identifier: GPL-3.0-or-later */
/* style.js — the chat panel's CSS, inside the shadow root: the host page cannot reach it and it
 * cannot leak out. Every element starts from "all: initial" so that inherited host styles
 * (fonts, colours, even "* { all: unset }" on the host element) do not matter. */
export const CSS = `
.p,.p *{all:initial;box-sizing:border-box;font:inherit;color:inherit}
.p{position:fixed;bottom:calc(var(--y) + 68px);right:var(--x);width:370px;height:min(600px,calc(100vh - 110px));
display:flex;flex-direction:column;background:#fff;color:#1f2937;font:15px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;
border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.28);overflow:hidden}
.l .p{right:auto;left:var(--x)}
.p[hidden],.p [hidden]{display:none!important}
.p div,.p form,.p p,.p label,.p ul{display:block}
.p style,.p script{display:none}
.hd{display:flex!important;align-items:center;gap:8px;padding:12px 14px;background:var(--c);color:#fff}
.hd .t{flex:1;display:block}.hd b{display:block;font-weight:700}.hd small{display:block;font-size:12px;opacity:.9}
.p button{cursor:pointer;border-radius:8px;padding:7px 12px;background:var(--c);color:#fff;font-weight:600;display:inline-block;text-align:center}
.p button:focus-visible,.p input:focus-visible,.p textarea:focus-visible,.p a:focus-visible{outline:2px solid #111;outline-offset:2px}
.p button[disabled],.p button[aria-disabled=true]{opacity:.5;cursor:default}
.hd button{background:transparent;font-size:22px;line-height:1;padding:2px 8px}
.bn{background:#fef3c7;color:#78350f;padding:6px 14px;font-size:13px}
.m{flex:1;overflow-y:auto;padding:12px;background:#f3f4f6}
.g{display:flex!important;flex-direction:column;margin:6px 0;max-width:85%;align-items:flex-start}
.g.v{margin-left:auto;align-items:flex-end}
.g .x{display:block;padding:8px 11px;border-radius:12px;background:#fff;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}
.g.v .x{background:var(--c);color:#fff}
.g.s .x{background:transparent;color:#6b7280;font-size:13px;text-align:center}
.g .x a{color:inherit;text-decoration:underline;cursor:pointer}
.g .f{display:block;font-size:11px;color:#6b7280;margin-top:2px}
.g.e .f{color:#b91c1c}
.g .f button{background:transparent;color:#b91c1c;text-decoration:underline;padding:0 4px;font-size:11px}
.g img{display:block;max-width:220px;max-height:220px;border-radius:8px;margin-top:4px;cursor:zoom-in}
.g .k button{margin-top:6px}
.g progress{display:block;width:100%;min-width:120px;height:6px;margin-top:4px;appearance:auto}
.ty{padding:2px 14px;font-size:12px;color:#6b7280;min-height:18px}
.bx{padding:12px 14px;border-top:1px solid #e5e7eb;background:#fff}
.bx p{margin-bottom:8px}
.bx input,.bx textarea{display:block;width:100%;border:1px solid #d1d5db;border-radius:8px;padding:7px 9px;margin:4px 0 8px;background:#fff}
.bx label{font-size:13px}
.bx .r5{display:flex!important;gap:4px;margin:6px 0}
.bx .r5 button{background:#e5e7eb;color:#111;padding:6px 10px}
.bx .r5 button[aria-pressed=true]{background:var(--c);color:#fff}
.pv{display:flex!important;align-items:center;gap:8px;padding:6px 14px;border-top:1px solid #e5e7eb}
.pv img{display:block;width:48px;height:48px;object-fit:cover;border-radius:6px}
.pv span{flex:1;display:block;font-size:12px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.pv button{background:#e5e7eb;color:#111;padding:2px 8px}
.cp{display:flex!important;align-items:flex-end;gap:6px;padding:10px;border-top:1px solid #e5e7eb;background:#fff}
.cp textarea{flex:1;display:block;resize:none;max-height:120px;min-height:38px;border:1px solid #d1d5db;border-radius:10px;padding:8px 10px;white-space:pre-wrap}
.cp .a{background:#e5e7eb;color:#111;padding:7px 10px}
.er{color:#b91c1c;font-size:12px;padding:0 14px}
.dz{outline:3px dashed var(--c);outline-offset:-6px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.p{inset:0;width:auto;height:auto;border-radius:0}.o .b{display:none}}
`;
