/* SPDX-License-Identifier: GPL-3.0-or-later */
/* style.js — the chat panel's CSS, inside the shadow root: the host page cannot reach it and it
 * cannot leak out. Every element starts from "all: initial" so that inherited host styles
 * (fonts, colours, even "* { all: unset }" on the host element) do not matter.
 * --c is the site's colour, --f the text colour that reads on it (black or white, chosen by the
 * bootstrap from the colour's luminance); greys are dark enough for 4.5:1 on their backgrounds.
 * The focus ring is white inside black: it shows on light and dark backgrounds alike. */
export const CSS = `
.b{transition:transform .15s}.b:hover{transform:scale(1.06)}
.n{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;
border-radius:10px;background:#dc2626;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}
.n:empty{display:none}
/* not on an svg path: "all" would reset its shape ("d" is a CSS property too) */
.p,.p :where(:not(path)){all:initial;box-sizing:border-box;font:inherit;color:inherit}
.p{position:fixed;bottom:calc(var(--y) + 68px + env(safe-area-inset-bottom));right:calc(var(--x) + env(safe-area-inset-right));
width:370px;height:min(600px,calc(100% - 110px));pointer-events:auto;overscroll-behavior:contain;
display:flex;flex-direction:column;background:#fff;color:#1f2937;font:15px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;
border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.28);overflow:hidden}
.p:focus{outline:none}
.l .p{right:auto;left:calc(var(--x) + env(safe-area-inset-left))}
.p[hidden],.p [hidden]{display:none!important}
/* "all" also took the images' clip: a cropped (object-fit) image would paint over its neighbours */
.p img{overflow:hidden}
.p div,.p form,.p p,.p label,.p ul{display:block}
.p style,.p script{display:none}
.hd{display:flex!important;align-items:center;gap:6px;padding:8px 6px 8px 14px;background:var(--c);color:var(--f)}
.hd .t{flex:1;display:block;min-width:0}.hd b{display:block;font-weight:700}.hd small{display:block;font-size:12px}
.tm{display:flex!important;flex:none;padding-right:8px}
.tm img,.tm span{display:block;width:32px;height:32px;border-radius:50%;margin-right:-8px;border:2px solid var(--c);
object-fit:cover;background:#e5e7eb;color:#1f2937;font:700 12px/28px system-ui,sans-serif;text-align:center}
.tm .sr{position:absolute;width:1px;height:1px;margin:0;border:0}
.p button{cursor:pointer;border-radius:8px;padding:7px 12px;background:var(--c);color:var(--f);font-weight:600;display:inline-block;
text-align:center;min-height:44px;min-width:44px}
.p button:focus-visible,.p input:focus-visible,.p textarea:focus-visible,.p a:focus-visible{outline:2px solid #fff;outline-offset:2px;box-shadow:0 0 0 5px #000}
.p button[disabled],.p button[aria-disabled=true]{opacity:.5;cursor:default}
.hd button{background:transparent;color:var(--f);font-size:22px;line-height:1;padding:0}
.bn{background:#fef3c7;color:#78350f;padding:6px 14px;font-size:13px}
.qu{background:#eff6ff;color:#1e3a8a;padding:6px 14px;font-size:13px}
.p .ln{background:none;color:inherit;text-decoration:underline;padding:0 4px}
.bx select{display:block;width:100%;border:1px solid #6b7280;border-radius:8px;padding:9px;margin:4px 0 8px;background:#fff;font-size:16px}
.m{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:12px;background:#f3f4f6}
.g{display:flex!important;flex-direction:column;margin:6px 0;max-width:85%;align-items:flex-start}
.g.v{margin-left:auto;align-items:flex-end}
.g .x{display:block;padding:8px 11px;border-radius:12px;background:#fff;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}
.g.v .x{background:var(--c);color:var(--f)}
.g.s{max-width:100%;align-items:center}
.g.s .x{background:transparent;color:#374151;font-size:13px;text-align:center}
.g .x a{color:inherit;text-decoration:underline;cursor:pointer}
.g .f{display:block;font-size:11px;color:#4b5563;margin-top:2px}
.g.e .f{color:#b91c1c}
.g .f button{background:transparent;color:#b91c1c;text-decoration:underline;padding:0 4px;font-size:11px}
.g img{display:block;max-width:220px;max-height:220px;border-radius:8px;margin-top:4px;cursor:zoom-in}
.g .k button{margin-top:6px}
.g .src{display:block;font-size:12px;margin-top:4px;color:#374151}
.g .src a,.g .src span{margin-left:6px}
.g .ai{font-weight:600}
.g .vt{display:flex;align-items:center;gap:4px;font-size:12px;margin-top:4px;color:#374151}
.g .vt button{display:inline-flex;align-items:center;border:1px solid #9ca3af;border-radius:12px;background:#fff;color:#4b5563;padding:2px 8px;cursor:pointer}
.g .vt svg{width:16px;height:16px;fill:currentColor}
.g .vt button[value=n] svg{transform:rotate(180deg)}
.g .vt button[aria-pressed=true]{background:#dbeafe;border-color:#1d4ed8;color:#1d4ed8}
.g progress{display:block;width:100%;min-width:120px;height:6px;margin-top:4px;appearance:auto}
.fc{display:flex!important;align-items:center;gap:8px;margin-top:4px;padding:6px 8px;border-radius:8px;background:#f3f4f6;
color:#1f2937!important;text-decoration:none!important;min-height:44px;max-width:240px;cursor:pointer}
.fi{display:block;flex:none;width:38px;height:32px;border-radius:6px;background:#374151;color:#fff;
font:700 10px/32px system-ui,sans-serif;text-align:center;overflow:hidden}
.fc .fn{display:block;flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-weight:600}
.fc .fs{display:block;flex:none;font-size:12px;color:#4b5563}
.ty{padding:2px 14px;font-size:12px;color:#4b5563;min-height:18px;background:#f3f4f6}
.bx{padding:12px 14px;border-top:1px solid #e5e7eb;background:#fff;overflow-y:auto;flex:none;max-height:70%}
.bx p{margin-bottom:8px}
.bx input,.bx textarea,.ae input{display:block;width:100%;border:1px solid #6b7280;border-radius:8px;padding:9px;margin:4px 0 8px;background:#fff;font-size:16px}
.bx label,.ae label{display:block;font-size:13px}
.ae{margin:6px 0 0;max-width:85%}
.bx .row{display:flex!important;flex-wrap:wrap;gap:12px}
.p .sec{background:#fff;color:#1f2937;border:1px solid #6b7280;font-weight:400}
.bx .r5{display:flex!important;gap:2px;margin:6px 0}
.bx .r5 button{background:transparent;color:#6b7280;padding:0}
.r5 svg{display:block;width:32px;height:32px;margin:auto}
.r5 path{fill:none;stroke:currentColor;stroke-width:1.5;stroke-linejoin:round}
.bx .r5 button[aria-pressed=true],.bx .r5 button.h{color:#b45309}
.r5 button[aria-pressed=true] path,.r5 button.h path{fill:currentColor}
.pv{display:flex!important;align-items:center;gap:8px;padding:6px 6px 6px 14px;border-top:1px solid #e5e7eb}
.pv img{display:block;flex:none;width:48px;height:48px;object-fit:cover;border-radius:6px}
.pv .fn{flex:1;min-width:0;display:block;font-size:12px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.pv button{background:#e5e7eb;color:#111;padding:0 8px}
.cp{display:flex!important;align-items:flex-end;gap:6px;padding:10px;border-top:1px solid #e5e7eb;background:#fff}
.cp textarea{flex:1;display:block;resize:none;max-height:120px;min-height:44px;border:1px solid #6b7280;border-radius:10px;
padding:10px;white-space:pre-wrap;font-size:16px;line-height:22px;overflow-y:hidden}
.cp .a{background:#e5e7eb;color:#111;padding:0 10px;font-size:20px}
.er{color:#b91c1c;font-size:12px;padding:0 14px}
.dz{outline:3px dashed var(--c);outline-offset:-6px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.tb{display:flex!important;border-bottom:1px solid #e5e7eb}.tb[hidden]{display:none!important}
.tb button{flex:1;padding:8px;background:#fff;color:#374151;border:0;border-bottom:2px solid transparent;font:inherit}
.tb [aria-selected=true]{border-bottom-color:var(--c);font-weight:700}
.hp{display:none!important;flex:1;overflow:auto;padding:12px;background:#fff}.hv .hp{display:block!important}
.hv>.m,.hv>.ty,.hv>.bx,.hv>.pv,.hv>.er,.hv>.cp,.hv>.bn{display:none!important}
.hp input{width:100%;box-sizing:border-box;padding:8px 10px;border:1px solid #9ca3af;border-radius:8px;font:inherit}
.hp ul{list-style:none;margin:8px 0;padding:0}.hp li{padding:8px 0;border-bottom:1px solid #f3f4f6}
.hp a{color:#1d4ed8;font-weight:600}.hp p{margin:4px 0 0;color:#4b5563;font-size:13px}
.hp>button{padding:8px 12px;border-radius:8px;border:1px solid #9ca3af;background:#f9fafb;color:#111827;font:inherit}
@media (max-width:480px){.p{inset:0;width:auto;height:auto;border-radius:0;padding:env(safe-area-inset-top)
env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left);background:var(--c)}
.p>*{background-color:#fff}.p>.hd{background:var(--c)}.p>.m,.p>.ty{background:#f3f4f6}.p>.bn{background:#fef3c7}.o .b{display:none}}
`;
