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
 * and line separators: what a terminal would act on or hide rather than show.
 */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Text from outside (a dump's lines, process names) made safe to print: each character that
 * is not printable becomes \xNN or \uNNNN, so an escape sequence in a file is shown, not
 * run by the terminal ("\x1b[2J" rather than a cleared screen).
 */
export function printable(text: string): string {
  return text.replace(NOT_PRINTABLE, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
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
