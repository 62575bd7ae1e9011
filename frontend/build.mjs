// Bundle the browser code into the package's static folder (built, never committed).
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const options = {
  entryPoints: [
    { in: "frontend/src/app.js", out: "app" },
    { in: "frontend/src/app.css", out: "app" },
    // The meeting page's editor and whiteboard (Yjs, Tiptap): loaded by that page only.
    { in: "frontend/src/documents/index.js", out: "documents" },
  ],
  outdir: "src/parley/static/dist",
  entryNames: "[name]",
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: !watch,
  sourcemap: true,
  logLevel: "info",
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
