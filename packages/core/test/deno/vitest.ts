/**
 * Runs core's vitest suites under Deno: `deno.json` maps the `vitest` import here. It covers
 * the part of vitest's API that platform-neutral tests may use — `describe`, `it`/`test`
 * (with `.each`) and `expect` — on top of `Deno.test` and vitest's own Jest-style matchers
 * for chai. Anything else (`vi`, module mocks) belongs in Node-only packages.
 */
import {JestAsymmetricMatchers, JestChaiExpect, JestExtend} from '@vitest/expect';
import type {ExpectStatic} from '@vitest/expect';
import * as chai from 'chai';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

// The plugins above add vitest's matchers to chai at run time; its types cannot say so.
export const expect = chai.expect as unknown as ExpectStatic;

type TestFn = () => void | Promise<void>;

const suites: string[] = [];

export function describe(name: string, body: () => void): void {
  suites.push(name);
  try {
    body();
  } finally {
    suites.pop();
  }
}

function register(name: string, fn: TestFn): void {
  Deno.test({name: [...suites, name].join(' > '), fn});
}

function format(template: string, args: unknown[]): string {
  let i = 0;
  return template.replace(/%[osdij]/g, () => Deno.inspect(args[i++], {compact: true, depth: 4}));
}

// `| [unknown]` makes TypeScript infer each row as a tuple, as vitest's own typing does.
function each<Row extends unknown[] | [unknown]>(table: readonly Row[]) {
  return (name: string, fn: (...row: Row) => void | Promise<void>) => {
    for (const row of table) register(format(name, row), () => fn(...row));
  };
}

export const it = Object.assign(register, {each});
export const test = it;
