/// <reference types="vitest/config" />
// The console is served by the gateway under /admin/; `npm run dev` proxies
// /api to the local gateway (VITE_GATEWAY_URL, default http://127.0.0.1:8080).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const gateway = process.env.VITE_GATEWAY_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/admin/",
  plugins: [react()],
  // dist/admin/ so that nginx's `root dist` maps /admin/x to dist/admin/x.
  build: { outDir: "dist/admin", emptyOutDir: true, chunkSizeWarningLimit: 600 },
  server: {
    host: "127.0.0.1",
    port: 3000,
    proxy: { "/api": { target: gateway, changeOrigin: true } },
  },
  test: {
    environment: "jsdom",
    globals: true,
    // The API types (src/api/generated/, git-ignored) from openapi/*.json.
    globalSetup: ["scripts/gen-types.mjs"],
    setupFiles: ["src/test-setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    // The machines are small and shared: typing into jsdom can take seconds.
    testTimeout: 20_000,
  },
});
