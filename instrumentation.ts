/**
 * Runs once when the Next.js server starts (dev and production), in the process that owns its
 * HTTP server: records each request's socket address for the route handlers
 * (lib/http/peer-address), and starts the live preview's proxy (lib/preview/proxy-server) on
 * PREVIEW_PORT, in this process, so that it shares the project sessions and preview ids the
 * route handlers keep.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { trackPeerAddresses } = await import("./lib/http/peer-address");
  trackPeerAddresses();
  const started = Symbol.for("autocrea.previewServer");
  const holder = globalThis as typeof globalThis & { [started]?: boolean };
  if (holder[started]) return;
  holder[started] = true;
  // Node-only modules (the logger included) are imported here, after the runtime check.
  const [{ startPreviewServer }, { log }] = await Promise.all([import("./lib/preview/proxy-server"), import("./lib/log")]);
  try {
    const server = await startPreviewServer();
    log.info({ port: server.port }, "live preview proxy listening");
  } catch (err) {
    log.error({ err }, "the live preview proxy could not start; live previews are unavailable");
  }
}
