// Vite builds three pages into ui/dist: the tablet app (index.html, src/tablet/), which the
// Tauri app embeds, the console (console.html, src/console/) and the public's 随手拍 page
// (public.html, src/public/), which the sync server serves; what they import (src/shared/,
// Preact) goes into chunks they share. Preact's
// JSX runtime is named in tsconfig.json (jsxImportSource), which Vite's transform honours,
// so no plugin is needed for it.
//
// The reference data the engine captures against (the code table and the grid) travels
// inside the app the same way: `referenceData` copies fixtures/codes.json and
// fixtures/grid/*.geojson into dist/reference/ with an index, and the app writes them out
// to its data directory on first start (src-tauri/src/lib.rs). Assets embedded in the
// binary read the same on the desktop and on Android, where bundled resources are not
// plain files.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

function referenceData(): Plugin {
  return {
    name: "gridwalk-reference-data",
    apply: "build",
    generateBundle() {
      const files = [
        "codes.json",
        ...readdirSync(join(FIXTURES, "grid"))
          .filter((f) => f.endsWith(".geojson"))
          .sort()
          .map((f) => `grid/${f}`),
      ];
      for (const f of files) {
        this.emitFile({ type: "asset", fileName: `reference/${f}`, source: readFileSync(join(FIXTURES, f)) });
      }
      this.emitFile({ type: "asset", fileName: "reference/index.json", source: JSON.stringify(files) });
    },
  };
}

export default defineConfig({
  clearScreen: false,
  plugins: [referenceData()],
  server: { port: 5173, strictPort: true },
  // Relative asset paths: the app loads index.html at the WebView's root, the sync server
  // serves console.html under /console/ and public.html under /public/.
  base: "./",
  build: {
    target: "es2020",
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      input: {
        app: join(import.meta.dirname, "index.html"),
        console: join(import.meta.dirname, "console.html"),
        public: join(import.meta.dirname, "public.html"),
      },
    },
  },
  // The browser tests in e2e/ run under node --test against real servers, not here.
  test: { environment: "jsdom", include: ["src/**/*.test.{ts,tsx}"] },
});
