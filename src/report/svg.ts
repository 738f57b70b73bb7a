// Small helpers for writing SVG and HTML as text: escaping and compact numbers.

/** Text or an attribute value made safe for XML and HTML. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A coordinate with at most one decimal: keeps files small and output stable. */
export function n(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** An element with attributes (undefined ones left out) and optional content. */
export function el(name: string, attrs: Record<string, string | number | undefined>, content?: string): string {
  let s = `<${name}`;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    s += ` ${k}="${typeof v === 'number' ? n(v) : esc(v)}"`;
  }
  return content === undefined ? `${s}/>` : `${s}>${content}</${name}>`;
}
