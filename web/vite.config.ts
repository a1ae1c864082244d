/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The production build must run under web/security-headers.json's CSP: no inline
// scripts or styles, so nothing may be inlined into index.html.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    assetsInlineLimit: 0,
    sourcemap: false,
    // The module-preload polyfill is injected as code; every supported browser has it.
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev` only: the same-origin /api as the cloud and `make up`.
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
