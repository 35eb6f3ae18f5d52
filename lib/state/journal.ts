/**
 * Record framing for append-only journals: one record per line,
 * `<crc32 as 8 hex digits> <JSON>\n`.
 *
 * A writer killed in the middle of an append leaves a prefix of its line: no newline, or
 * (after a power loss) a line whose checksum does not match. Either can only be the *last*
 * line, because the next writer truncates it away before appending; so a bad last line is
 * a torn tail (the append never happened) and a bad line anywhere else is corruption.
 */
import { crc32 } from 'node:zlib';
import { StateCorruptError } from './errors';

const NEWLINE = 0x0a;
const CRC_HEX = 8;

export function encodeRecord(value: unknown): Buffer {
  // JSON.stringify escapes control characters, so the body never contains a raw newline.
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const head = Buffer.from(`${crc32(body).toString(16).padStart(CRC_HEX, '0')} `, 'latin1');
  return Buffer.concat([head, body, Buffer.from([NEWLINE])]);
}

export interface ParsedRecords {
  records: unknown[];
  /** Absolute offset just past the last good record. */
  end: number;
  /** True when bytes after `end` are a torn (incomplete or unverifiable) final record. */
  torn: boolean;
}

function decodeLine(line: Buffer): unknown {
  if (line.length <= CRC_HEX + 1 || line[CRC_HEX] !== 0x20) return undefined;
  const body = line.subarray(CRC_HEX + 1);
  const want = line.subarray(0, CRC_HEX).toString('latin1');
  if (!/^[0-9a-f]{8}$/.test(want) || crc32(body) !== parseInt(want, 16)) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Parses the records in `buf`, which starts at absolute file offset `start`. Throws
 * StateCorruptError for a bad record that is followed by more data.
 */
export function parseRecords(buf: Buffer, start: number, file: string): ParsedRecords {
  const records: unknown[] = [];
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(NEWLINE, at);
    if (nl < 0) return { records, end: start + at, torn: true };
    const record = decodeLine(buf.subarray(at, nl));
    if (record === undefined) {
      if (nl + 1 < buf.length) {
        throw new StateCorruptError(`${file}: damaged record at offset ${start + at} is followed by more records`, file);
      }
      return { records, end: start + at, torn: true };
    }
    records.push(record);
    at = nl + 1;
  }
  return { records, end: start + at, torn: false };
}
