/** Hex SHA-256 of the UTF-8 content, with Web Crypto (available in Convex functions and every JS runtime we use). */
export async function sha256Hex(content: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(content));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
