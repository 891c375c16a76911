/** @type {import('next').NextConfig} */
const nextConfig = {
  // The e2e suite builds into its own folder (playwright.config.ts), so a test run never touches the
  // .next/ that \`npm run dev\` is using or will use.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // Native module: keep it out of the server bundle.
  serverExternalPackages: ["better-sqlite3"],
  poweredByHeader: false,
};

export default nextConfig;
