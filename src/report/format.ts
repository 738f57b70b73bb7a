// How the terminal reports print: numbers, colour, wrapped text.

/** Bytes in binary units: 512 B, 19.5 KiB, 2.3 MiB. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** 12345.6 -> "12,346" (what toLocaleString('en-US') gives, without loading ICU's locale data). */
export function thousands(x: number): string {
  const digits = String(Math.abs(Math.round(x)));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return Math.round(x) < 0 ? `-${grouped}` : grouped;
}

/**
 * Control characters (C0, DEL, C1), invisible format characters (bidi overrides, zero-width)
 * and line separators: what a terminal would act on or hide rather than show; and the
 * backslash, which the escapes themselves use.
 */
const NOT_PRINTABLE = /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Text from outside (a dump's lines, process names) made safe to print: each character that
 * is not printable becomes \xNN, \uNNNN or \u{NNNNN}, so an escape sequence in a file is
 * shown, not run by the terminal ("\x1b[2J" rather than a cleared screen). A backslash
 * becomes \\, so the result reads back unambiguously (a name holding the four characters
 * "\x1b" prints as "\\x1b"), as in a JavaScript string literal.
 */
export function printable(text: string): string {
  return text.replace(NOT_PRINTABLE, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.codePointAt(0) ?? 0;
    const hex = code.toString(16);
    if (code < 0x100) return `\\x${hex.padStart(2, '0')}`;
    return code <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
  });
}

/** An ANSI SGR sequence (colour, bold), captured: it takes no room on the screen. */
// eslint-disable-next-line no-control-regex -- the escape character is what this matches
export const ANSI_STYLE = /(\x1b\[[0-9;]*m)/;

/** Characters a terminal shows: code points, without ANSI sequences that a cell may already hold. */
export function visibleLength(text: string): number {
  let length = 0;
  for (const part of text.split(ANSI_STYLE)) if (!ANSI_STYLE.test(part)) length += [...part].length;
  return length;
}

export type Style = 'bold' | 'dim' | 'red' | 'yellow';
const ANSI: Record<Style, [string, string]> = {
  bold: ['\x1b[1m', '\x1b[22m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  red: ['\x1b[31m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
};

export type Paint = (style: Style, text: string) => string;

/** ANSI styles when `color`, plain text otherwise (the CLI decides: a terminal, no NO_COLOR). */
export function painter(color: boolean | undefined): Paint {
  return color ? (style, text) => ANSI[style][0] + text + ANSI[style][1] : (_style, text) => text;
}

/** Greedy word wrap at plain spaces (not at no-break ones); a longer word gets a line of its own. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
