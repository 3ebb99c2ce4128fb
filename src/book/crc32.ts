/**
 * CRC-32 (ISO-HDLC: the zlib/PNG one, polynomial 0xEDB88320, init and final xor 0xFFFFFFFF)
 * over the character codes of an ASCII string. Node's zlib.crc32 appeared only in 20.15; this
 * table version runs on every Node 20.
 */
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Unsigned CRC-32 of an ASCII string (each char code is taken as one byte). */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = (TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
