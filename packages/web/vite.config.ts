import {defineConfig} from 'vite';

// The console as the relay serves it at /console/ and the bridge at /: every asset path is
// relative (`base: './'`), so the same files work at either place. Pages: the console
// (index.html), MSAL v5's redirect bridge (redirect.html) and the example portal page.
export default defineConfig({
  root: 'app',
  base: './',
  publicDir: false,
  build: {
    outDir: '../dist-app',
    emptyOutDir: true,
    target: 'es2022',
    // Every browser the console supports has <link rel=modulepreload>.
    modulePreload: {polyfill: false},
    sourcemap: true,
    reportCompressedSize: false,
    rolldownOptions: {
      input: {
        index: 'app/index.html',
        redirect: 'app/redirect.html',
        portal: 'app/portal.html',
      },
      // Chunks named for what they hold: MSAL and Lit change seldom, so they stay cached when
      // the console's own code changes; xterm.js and the YAML library load on first use.
      output: {
        codeSplitting: {
          groups: [
            {name: 'msal', test: /node_modules[\\/]@azure[\\/]msal-/},
            {name: 'lit', test: /node_modules[\\/](lit|lit-html|lit-element|@lit)[\\/]/},
            {name: 'yaml', test: /node_modules[\\/]yaml[\\/]/},
          ],
        },
      },
    },
  },
});
