/**
 * The caller's IP as reported by the reverse proxy in front of the app
 * (Vercel and most proxies set x-forwarded-for; the first entry is the client).
 * Without a proxy the header may be absent: every such caller shares one key.
 */
export function clientIp(request: Request): string {
  const forwarded = request.headers.get("x-forwarded-for");
  const first = forwarded?.split(",")[0]?.trim();
  if (first) return first;
  return request.headers.get("x-real-ip")?.trim() || "unknown";
}
