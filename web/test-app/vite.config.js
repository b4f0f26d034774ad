// The React test page (tests/browser/test_react_hook.py): built, never served by a dev server.
// React's development build, because only it runs StrictMode's double effects that the tests
// exercise; relative asset URLs, because the fake stack serves the page under /test-app/dist/.
import { fileURLToPath } from "node:url";

import { defineConfig } from "vite";

const web = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  mode: "development",
  define: { "process.env.NODE_ENV": JSON.stringify("development") },
  esbuild: { jsx: "automatic" },
  resolve: {
    // The package by its own name, as an app that installed it would import it.
    alias: [
      { find: /^jobstream-client\/react$/, replacement: `${web}src/react.js` },
      { find: /^jobstream-client$/, replacement: `${web}jobstream-client.js` },
    ],
  },
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    rollupOptions: {
      // The package's React entry starts with "use client" (for the Next.js App Router); a bundle
      // for the browser has no server components, and Rollup's note that it dropped the directive
      // is expected, not a problem to show.
      onwarn(warning, warn) {
        if (warning.code === "MODULE_LEVEL_DIRECTIVE" && warning.message.includes('"use client"')) {
          return;
        }
        warn(warning);
      },
    },
  },
});
