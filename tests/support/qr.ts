import { inflateSync } from 'node:zlib';
import jsQRModule from 'jsqr';

// jsqr is CommonJS (UMD) with an ES-style default export: Node's default import is module.exports,
// which carries the function as `.default` too.
const jsQR = jsQRModule.default;

/** The decoded content of every stream in the file (pdfkit writes no object streams). */
export function streams(bytes: Buffer): Array<{ dict: string; text: string }> {
  const source = bytes.toString('latin1');
  const found: Array<{ dict: string; text: string }> = [];
  const pattern = /\d+ 0 obj\s*<<((?:(?!endobj)[\s\S])*?)>>\s*stream\r?\n/g;
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    const start = match.index + match[0].length;
    const end = source.indexOf('endstream', start);
    const dict = match[1] ?? '';
    const raw = bytes.subarray(start, end);
    found.push({ dict, text: (/\/FlateDecode/.test(dict) ? inflateSync(raw) : raw).toString('latin1') });
  }
  return found;
}

/**
 * The QR code as drawn: the `re` operators inside the Figure's marked content, which are in
 * module units (col row width 1); returns the dark modules as a square matrix.
 */
export function drawnQr(bytes: Buffer): boolean[][] {
  const page = streams(bytes).find((stream) => stream.text.includes('/Figure'));
  if (!page) throw new Error('no content stream with a Figure');
  const figure = page.text.slice(page.text.indexOf('/Figure'));
  const body = figure.slice(0, figure.indexOf('EMC'));
  const rects = [...body.matchAll(/^(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re$/gm)].map((m) => m.slice(1, 5).map(Number) as [number, number, number, number]);
  if (rects.length <= 50) throw new Error(`only ${rects.length} QR modules drawn`);
  for (const [x, y, w, h] of rects) {
    if (![x, y, w].every(Number.isInteger) || h !== 1) throw new Error(`not a module rectangle: ${x} ${y} ${w} ${h}`);
  }
  const size = Math.max(...rects.map(([x, , w]) => x + w));
  const matrix = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  for (const [x, y, w] of rects) {
    for (let col = x; col < x + w; col++) matrix[y]![col] = true;
  }
  return matrix;
}

/** Black-on-white RGBA pixels of the matrix, with a 4-module quiet zone, `scale` pixels per module. */
export function raster(matrix: boolean[][], scale: number): { pixels: Uint8ClampedArray; side: number } {
  const quiet = 4;
  const side = (matrix.length + 2 * quiet) * scale;
  const pixels = new Uint8ClampedArray(side * side * 4).fill(255);
  matrix.forEach((cells, row) =>
    cells.forEach((dark, col) => {
      if (!dark) return;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const offset = (((row + quiet) * scale + dy) * side + (col + quiet) * scale + dx) * 4;
          pixels[offset] = pixels[offset + 1] = pixels[offset + 2] = 0;
        }
      }
    }),
  );
  return { pixels, side };
}

/** The text of the QR code drawn in an extract, decoded from the PDF's own drawing as a reader's camera would. */
export function decodeQrFromPdf(bytes: Buffer): string | null {
  const { pixels, side } = raster(drawnQr(bytes), 4);
  return jsQR(pixels, side, side, { inversionAttempts: 'dontInvert' })?.data ?? null;
}
