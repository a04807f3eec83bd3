// One lint setup for the whole tree (STYLE.md §20). Each package runs `eslint .` from its own
// directory; boundaries between packages are enforced here, not by review.
import js from '@eslint/js';
import {importX} from 'eslint-plugin-import-x';
import noOnlyTests from 'eslint-plugin-no-only-tests';
import tseslint from 'typescript-eslint';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/dist-app/**',
      '**/dist-bench/**',
      '**/node_modules/**',
      '**/.turbo/**',
      '**/coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            'vitest.config.ts',
            'packages/*/vitest.config.ts',
            'packages/*/vite.config.ts',
            'packages/*/vite.*.config.ts',
          ],
        },
        tsconfigRootDir: root,
      },
    },
    plugins: {'import-x': importX, 'no-only-tests': noOnlyTests},
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // `() => resolve(value)` reads better with braces left out.
      '@typescript-eslint/no-confusing-void-expression': ['error', {ignoreArrowShorthand: true}],
      '@typescript-eslint/restrict-template-expressions': ['error', {allowNumber: true}],
      'import-x/extensions': ['error', 'ignorePackages'],
      'import-x/no-extraneous-dependencies': [
        'error',
        {
          packageDir: ['.', root],
          devDependencies: [
            '**/test/**',
            '**/bench/**',
            '**/*.config.ts',
            '**/*.config.js',
            'scripts/**',
          ],
        },
      ],
      'import-x/no-relative-packages': 'error',
      'no-only-tests/no-only-tests': 'error',
    },
  },
  {
    // STYLE.md §3: core runs on Node, Deno and in browsers, so it uses Web APIs only.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {patterns: [{group: ['node:*'], message: 'core uses Web APIs only'}]},
      ],
      'no-restricted-globals': ['error', 'Buffer', 'process', 'require', '__dirname', '__filename'],
    },
  },
  {
    // Lit calls event listeners bound in templates (`@click=${this._onClick}`) with `this` set
    // to the element (its `host` render option), so passing methods unbound is the idiom.
    files: ['packages/web/src/**/*.ts'],
    rules: {'@typescript-eslint/unbound-method': 'off'},
  },
  {
    // vitest's asymmetric matchers are typed `any`, and probes are async by contract.
    files: ['packages/*/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  // Plain scripts, and the Deno shim that Deno itself type-checks against its own globals.
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs', 'packages/core/test/deno/**'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
      },
    },
  },
  {
    // Child-process peers of the interop tests, in the CommonJS of the libraries they drive.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {require: 'readonly', module: 'writable', global: 'readonly'},
    },
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
);
