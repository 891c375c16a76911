import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAck, encodeResize, FLOW_CONTROL_HIGH_WATER } from "../src/pty/protocol";
import { startTestRunner, TerminalClient, type TestRunner } from "./server-support";

let runner: TestRunner;
beforeAll(async () => {
  runner = await startTestRunner();
});
afterAll(() => runner?.close());

async function newSession(): Promise<string> {
  return (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
}

async function connect(id: string, options?: ConstructorParameters<typeof TerminalClient>[1]): Promise<TerminalClient> {
  const client = new TerminalClient(runner.ptyUrl(id, runner.ticket(id, "u1")), options);
  await client.opened();
  return client;
}

// The shell's prompt is "<cwd>$ "; in the workspace (its HOME) that is "~$ ".
const PROMPT = "~$ ";

describe("terminal", () => {
  it("echoes keystrokes and runs commands as the sandbox user", async () => {
    const id = await newSession();
    const term = await connect(id);
    await term.waitFor(PROMPT);
    term.clear();
    term.type("x");
    await term.waitFor("x");
    term.type("\x7f"); // backspace
    term.type("echo sum=$((6*7)) uid=$(id -u)\r");
    const output = await term.waitFor(/sum=42 uid=\d+/);
    expect(output).not.toMatch(/uid=0\b/);
    await term.close();
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("runs the shell, and session commands, under the seccomp filter", async () => {
    const id = await newSession();
    const term = await connect(id);
    await term.waitFor(PROMPT);
    term.clear();
    term.type("grep Seccomp: /proc/self/status; unshare -U true\r");
    await term.waitFor(/Seccomp:\s+2[\s\S]*unshare failed: Operation not permitted/);
    await term.close();
    const command = await runner.call("POST", `/v1/sessions/${id}/commands`, {
      command: "grep Seccomp: /proc/self/status; unshare -U true 2>&1",
    });
    expect(command.json.stdout).toMatch(/^Seccomp:\s+2\n.*unshare failed: Operation not permitted/);
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("resizes the terminal", async () => {
    const id = await newSession();
    const term = await connect(id);
    await term.waitFor(PROMPT);
    term.sendFrame(encodeResize(132, 43));
    term.clear();
    term.type("stty size\r");
    await term.waitFor("43 132");
    await term.close();
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("delivers Ctrl-C to the foreground program and gets the prompt back", async () => {
    const id = await newSession();
    const term = await connect(id);
    await term.waitFor(PROMPT);
    term.clear();
    // The program announces itself once it runs in the foreground (the echoed line reads "sta""rted").
    term.type(`sh -c 'echo sta""rted; exec sleep 100'\r`);
    await term.waitFor("started");
    term.clear();
    term.type("\x03");
    await term.waitFor(PROMPT);
    term.clear();
    term.type("echo status=$?\r");
    await term.waitFor("status=130");
    await term.close();
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("keeps the shell across reconnects and replays the scrollback", async () => {
    const id = await newSession();
    const first = await connect(id);
    await first.waitFor(PROMPT);
    first.type("cd /tmp && export MARK=kept-$((40+2)) && echo before-$((1+1))\r");
    await first.waitFor("before-2");
    await first.close();

    const second = await connect(id);
    await second.waitFor("before-2"); // from the scrollback
    second.clear();
    second.type("echo $MARK in $(pwd)\r");
    await second.waitFor("kept-42 in /tmp");
    await second.close();
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("replaces an older client with a newer one", async () => {
    const id = await newSession();
    const first = await connect(id);
    await first.waitFor(PROMPT);
    const second = await connect(id);
    await second.waitFor(PROMPT);
    await new Promise((resolve) => (first.socket.readyState === first.socket.CLOSED ? resolve(null) : first.socket.once("close", resolve)));
    expect(first.closeCode).toBe(4000);
    await second.close();
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("tells the client when the shell exits, and closes the terminal when the session ends", async () => {
    const id = await newSession();
    const term = await connect(id);
    await term.waitFor(PROMPT);
    term.type("exit 7\r");
    await new Promise((resolve) => term.socket.once("close", resolve));
    expect(term.exitCode).toBe(7);
    expect(term.closeCode).toBe(4001);

    // A new connection starts a fresh shell; deleting the session closes it.
    const again = await connect(id);
    await again.waitFor(PROMPT);
    const closed = new Promise((resolve) => again.socket.once("close", resolve));
    await runner.call("DELETE", `/v1/sessions/${id}`);
    await closed;
    expect(again.closeCode).toBe(4002);
  });

  it("streams 20 MB to a slowly acking client completely, never far past the flow-control window", async () => {
    const id = await newSession();
    const SOURCE_BYTES = 15 * 1024 * 1024; // base64 → 20 MiB of output, one line, no newline translation
    const made = await runner.call("POST", `/v1/sessions/${id}/commands`, {
      command: `head -c ${SOURCE_BYTES} /dev/urandom | base64 -w0 > big.txt && stat -c %s big.txt && sha256sum big.txt`,
      limits: { wallMs: 60_000, cpuMs: 30_000, fileSizeBytes: 64 * 1024 * 1024 },
    });
    expect(made.json.status).toBe("OK");
    const [sizeLine, sumLine] = made.json.stdout.trim().split("\n");
    const expectedBytes = Number(sizeLine);
    const expectedSha = sumLine.split(" ")[0];
    expect(expectedBytes).toBe((SOURCE_BYTES / 3) * 4);

    let received = 0;
    let acked = 0;
    let maxOutstanding = 0;
    const chunks: Buffer[] = [];
    const term = await connect(id, {
      autoAck: false,
      onData: (data) => {
        chunks.push(Buffer.from(data));
        received += data.length;
        maxOutstanding = Math.max(maxOutstanding, received - acked);
      },
    });
    // The slow reader: acknowledges whatever arrived, but only every 20 ms.
    const acker = setInterval(() => {
      if (received > acked) {
        term.sendFrame(encodeAck(received - acked));
        acked = received;
      }
    }, 20);
    try {
      // Markers built by the shell, so the echoed command line does not contain them.
      term.type(`printf '%s' "BE""GIN>"; cat big.txt; printf '%s' "<EN""D"\r`);
      const deadline = Date.now() + 120_000;
      while (!Buffer.concat(chunks.slice(-3)).toString("latin1").includes("<END")) {
        if (Date.now() > deadline) throw new Error(`stream incomplete: ${received} bytes received`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      clearInterval(acker);
    }
    const all = Buffer.concat(chunks).toString("latin1");
    const start = all.indexOf("BEGIN>") + "BEGIN>".length;
    const payload = all.slice(start, all.indexOf("<END", start));
    expect(payload.length).toBe(expectedBytes);
    expect(createHash("sha256").update(payload, "latin1").digest("hex")).toBe(expectedSha);
    // Without flow control a fast producer would be megabytes ahead of a reader acking every 20 ms.
    expect(maxOutstanding).toBeLessThan(FLOW_CONTROL_HIGH_WATER + 128 * 1024);
    await term.close();
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });
});
