import {access} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';

import {CliInputError} from './errors.js';

/**
 * The web console's built files, for the relay (`relay serve --console-dir`) and the bridge
 * (`porthole console`): the directory given (it must hold `index.html`), or `@porthole/web`'s
 * build when it is there; `undefined` without either.
 *
 * @throws CliInputError when the directory given has no `index.html`
 */
export async function consoleFiles(given: string | undefined): Promise<string | undefined> {
  const hasIndex = (dir: string) =>
    access(join(dir, 'index.html')).then(
      () => true,
      () => false,
    );
  if (given !== undefined) {
    if (!(await hasIndex(given))) {
      throw new CliInputError(
        `--console-dir ${given} has no index.html: is it the console's build?`,
      );
    }
    return given;
  }
  // The console is optional: a checkout has it once @porthole/web is built; the CLI does not
  // depend on it (the web's tests run the CLI), so it is looked up, not imported.
  let built: string;
  try {
    built = join(
      dirname(createRequire(import.meta.url).resolve('@porthole/web/package.json')),
      'dist-app',
    );
  } catch {
    return undefined;
  }
  return (await hasIndex(built)) ? built : undefined;
}
