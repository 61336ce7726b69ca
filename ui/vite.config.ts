// Vite builds the UI into ui/dist, which the Tauri app embeds. Preact's JSX runtime is named
// in tsconfig.json (jsxImportSource), which Vite's transform honours, so no plugin is needed.
import { defineConfig } from "vitest/config";

export default defineConfig({
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "es2020", outDir: "dist", emptyOutDir: true },
  test: { environment: "jsdom" },
});
