// Lint rules for the browser code (frontend/src) and its unit tests (frontend/test).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["frontend/src/generated/**"] },
  js.configs.recommended,
  // A parameter named `_x` is there for its place in an interface (a transport's methods).
  { rules: { "no-unused-vars": ["error", { argsIgnorePattern: "^_" }] } },
  {
    files: ["frontend/src/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
  },
  {
    files: ["frontend/test/**/*.js", "frontend/build.mjs", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.node },
  },
];
