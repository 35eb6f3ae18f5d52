/**
 * What commands print: Docker-like tables for people (columns padded to the widest cell,
 * three spaces apart, headers in capitals), JSON for scripts (`--format json`).
 */
import { UsageError } from './exit-codes';

export type Format = 'table' | 'json';

export function parseFormat(value: string | undefined): Format {
  if (value === undefined || value === 'table') return 'table';
  if (value === 'json') return 'json';
  throw new UsageError(`--format: expected 'table' or 'json', got '${value}'`, 'format');
}

/** A table as lines: the header, then one line per row; trailing spaces trimmed. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export interface Out {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processOut: Out = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export function printJson(out: Out, value: unknown): void {
  out.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** The first 12 hex digits of an ID, as Docker shows it. */
export function short(id: string): string {
  return id.slice(0, 12);
}
