/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native module: keep it out of the server bundle.
  serverExternalPackages: ["better-sqlite3"],
  poweredByHeader: false,
};

export default nextConfig;
