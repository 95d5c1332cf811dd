/**
 * CSV as spreadsheets in Kazakhstan open it: UTF-8 with a byte order mark, ";"-separated, every
 * cell quoted, CRLF line ends, and text that a spreadsheet would take for a formula made inert.
 */

/**
 * A cell as Excel and LibreOffice read it safely: a leading = + - @ (or tab, carriage return)
 * would make the text a formula, so it gets a leading apostrophe (OWASP "CSV injection"); every
 * cell is quoted (RFC 4180), so separators and line breaks inside stay in the cell.
 */
export function csvCell(value: string): string {
  const inert = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${inert.replaceAll('"', '""')}"`;
}

/**
 * Semicolons, not commas: Excel splits a double-clicked CSV with the list separator of Windows'
 * regional settings, which is ";" in the Kazakh and Russian settings (their decimal separator is
 * the comma). Lines end in CRLF as RFC 4180 says.
 */
export const CSV_SEPARATOR = ';';
/** Without the byte order mark Excel reads UTF-8 as the ANSI code page and shows Cyrillic as mojibake. */
export const CSV_BOM = '\uFEFF';

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(CSV_SEPARATOR)}\r\n`;
}

/** sv-SE writes YYYY-MM-DD HH:MM, which spreadsheets read as a date and time. */
const CSV_TIME_FORMAT = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Almaty', dateStyle: 'short', timeStyle: 'short' });

export function csvAlmatyMinute(value: Date): string {
  return CSV_TIME_FORMAT.format(value);
}
