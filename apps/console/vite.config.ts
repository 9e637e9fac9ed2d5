import { defineConfig } from "vite";

// Plain esbuild JSX: the console needs no Babel plugins. `npm run dev` proxies the API to a local coordinator.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 800,
    // Browsers with CSS light-dark(), which the theme is written in; lowering it would break the theme switch.
    cssTarget: ["chrome123", "edge123", "firefox120", "safari17.5"],
    rollupOptions: {
      // zod's sources carry /* @__PURE__ */ notes in places Rollup cannot use; that is noise, not a problem.
      onwarn(warning, warn) {
        if (warning.code === "INVALID_ANNOTATION") return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { "/v1": { target: process.env.MUSTER_URL ?? "http://127.0.0.1:7391", changeOrigin: false } },
  },
});
