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
  const { startPreviewServer } = await import("./lib/preview/proxy-server");
  try {
    const server = await startPreviewServer();
    console.log(`[autocrea] live preview proxy on port ${server.port}`);
  } catch (err) {
    console.error(
      `[autocrea] the live preview proxy could not start (${err instanceof Error ? err.message : err}); live previews are unavailable.`,
    );
  }
}
