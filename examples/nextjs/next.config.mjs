import { fileURLToPath } from 'node:url';

/** @type {import('next').NextConfig} */
export default {
  // clerk-sync is Node-only (SQLite, pg, node:crypto): load it from node_modules instead of bundling it.
  serverExternalPackages: ['clerk-sync'],
  // Only because this example lives inside the clerk-sync repository (it uses it through file:../..).
  outputFileTracingRoot: fileURLToPath(new URL('../..', import.meta.url)),
};
