// The console is served by the gateway under /console/ (rhip.gateway.console); JSX is
// compiled for Preact by Vite's own esbuild, so no framework plugin is needed.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  esbuild: {
    jsxFactory: "h",
    jsxFragment: "Fragment",
    jsxInject: `import { h, Fragment } from "preact"`,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // ECharts alone is ~1 MB before gzip; one chunk for it keeps the app's own code small.
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: { manualChunks: { echarts: ["echarts/core", "echarts/charts", "echarts/components", "echarts/renderers"] } },
    },
  },
  server: {
    // `npm run dev` against a running gateway (make run): the API on the same origin.
    proxy: { "^/(identity|archives|emr|mch|referral)/": "http://127.0.0.1:8080" },
  },
});
