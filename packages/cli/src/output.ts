import {search} from '@jmespath-community/jmespath';
import type {JSONValue} from '@jmespath-community/jmespath';
import {stringify} from 'yaml';

import {CliUsageError} from './errors.js';

/** The `parseArgs` options of every command that prints a result, as `az` names them. */
export const OUTPUT_OPTIONS = {
  output: {type: 'string', short: 'o', default: 'table'},
  query: {type: 'string'},
} as const;

const FORMATS = ['table', 'json', 'yaml', 'tsv'] as const;

/** How a result is printed. */
export interface OutputChoice {
  format: (typeof FORMATS)[number];
  /** A JMESPath expression applied to the result first. */
  query: string | undefined;
}

/**
 * Reads `-o` and `--query`.
 *
 * @throws CliUsageError for an unknown format
 */
export function outputChoice(values: {output?: string; query?: string | undefined}): OutputChoice {
  const format = values.output ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new CliUsageError(
      `-o must be ${FORMATS.join(', ')} (got ${JSON.stringify(format)})`,
      'For example: -o json',
    );
  }
  return {format: format as OutputChoice['format'], query: values.query};
}

/**
 * A result as text: JSON (indented), YAML, TSV (values only, a line per item, as `az` prints
 * them for scripts) or a table for people. `--query` selects from the result first; a command's
 * own table stands for the whole result, so with a query the generic table is used.
 *
 * @param table the command's table for the unqueried result: a header row, then rows
 * @throws CliUsageError when `--query` is not a JMESPath expression
 */
export function renderOutput(
  result: unknown,
  choice: OutputChoice,
  table?: (result: unknown) => string[][],
): string {
  let value = JSON.parse(JSON.stringify(result ?? null)) as JSONValue;
  if (choice.query !== undefined) {
    try {
      value = search(value, choice.query);
    } catch (err) {
      throw new CliUsageError(
        `--query is not a JMESPath expression: ${(err as Error).message}`,
        'For example: --query "[].name" (see https://jmespath.org)',
      );
    }
  }
  switch (choice.format) {
    case 'json':
      return `${JSON.stringify(value, null, 2)}\n`;
    case 'yaml':
      return stringify(value);
    case 'tsv':
      return rows(value)
        .map((row) => `${row.join('\t')}\n`)
        .join('');
    case 'table':
      return alignedTable(
        choice.query === undefined && table ? table(result) : genericTable(value),
      );
  }
}

/** Items of a result as rows of scalar values (objects keep their scalar properties). */
function rows(value: JSONValue): string[][] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.values(item).filter(isScalar).map(text)
      : [text(item)],
  );
}

/** Columns from the scalar properties of the items, headed by their names. */
function genericTable(value: JSONValue): string[][] {
  const items = Array.isArray(value) ? value : [value];
  const objects = items.filter(
    (item): item is Record<string, JSONValue> =>
      item !== null && typeof item === 'object' && !Array.isArray(item),
  );
  if (objects.length === 0) return [['Result'], ...items.map((item) => [text(item)])];
  const columns = [
    ...new Set(
      objects.flatMap((item) =>
        Object.entries(item)
          .filter(([, field]) => isScalar(field))
          .map(([name]) => name),
      ),
    ),
  ];
  return [
    columns.map((name) => name.charAt(0).toUpperCase() + name.slice(1)),
    ...objects.map((item) => columns.map((name) => text(item[name] ?? null))),
  ];
}

function alignedTable(table: string[][]): string {
  const widths = (table[0] ?? []).map((_, column) =>
    Math.max(...table.map((row) => (row[column] ?? '').length)),
  );
  const lines = table.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  if (lines.length > 0) lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  return lines.map((line) => `${line}\n`).join('');
}

function isScalar(value: JSONValue | undefined): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function text(value: JSONValue): string {
  if (value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
