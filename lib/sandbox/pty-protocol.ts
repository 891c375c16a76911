// The terminal's WebSocket frame format, shared with the runner; safe to import in the browser.
export * from "../../sandbox-runner/src/pty/protocol";
