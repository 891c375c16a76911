"use client";

// Replaces the root layout when it fails, so it carries its own document and
// inline styles (globals.css is not loaded here).
export default function GlobalError({ retry }: { error: unknown; retry: () => void }) {
  return (
    <html lang="en">
      <body style={{ margin: 0, minHeight: "100dvh", background: "#09090b", color: "#f4f4f5", fontFamily: "system-ui, sans-serif" }}>
        <title>Something went wrong · AUTOCREA</title>
        <main role="alert" style={{ maxWidth: 560, margin: "0 auto", padding: "96px 24px", textAlign: "center" }}>
          <h1 style={{ fontSize: 28, margin: 0 }}>Something went wrong</h1>
          <p style={{ color: "#a1a1aa", marginTop: 16 }}>AUTOCREA could not load. Please try again.</p>
          <button
            type="button"
            onClick={() => retry()}
            style={{
              marginTop: 32,
              padding: "8px 16px",
              borderRadius: 6,
              border: 0,
              background: "#22d3ee",
              color: "#09090b",
              fontWeight: 600,
              cursor: "pointer",
            }}
          >
            Try again
          </button>
        </main>
      </body>
    </html>
  );
}
