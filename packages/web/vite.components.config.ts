import {defineConfig} from 'vite';

// The custom elements for a page's <script type="module" src=".../porthole-components.js">:
// one self-contained file (no chunks to fetch from elsewhere), written beside the console's
// files so that the relay serves it at /console/porthole-components.js.
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist-app',
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
    lib: {
      entry: 'src/define.ts',
      formats: ['es'],
      fileName: () => 'porthole-components.js',
    },
    // Library mode leaves ES output unminified; this file is served as it is.
    rolldownOptions: {output: {codeSplitting: false, minify: true}},
  },
});
