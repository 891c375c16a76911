import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeFrame,
  encodeAck,
  encodeData,
  encodeResize,
  FLOW_CONTROL_HIGH_WATER,
  MAX_PENDING_INPUT,
} from "../src/pty/protocol";
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

// Memory figures after a full collection, so garbage does not hide what is held.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** One WebSocket frame as a client sends it (masked with a zero key unless `masked` is false). */
function wsFrame(
  opcode: number,
  payload: Uint8Array,
  { fin = true, rsv = 0, masked = true, declaredLength }: { fin?: boolean; rsv?: number; masked?: boolean; declaredLength?: number } = {},
): Buffer {
  const length = declaredLength ?? payload.length;
  const mask = masked ? 0x80 : 0;
  let header: Buffer;
  if (length < 126) header = Buffer.from([0, mask | length]);
  else if (length < 65536) {
    header = Buffer.alloc(4);
    header.writeUInt16BE(length, 2);
    header[1] = mask | 126;
  } else {
    header = Buffer.alloc(10);
    header.writeBigUInt64BE(BigInt(length), 2);
    header[1] = mask | 127;
  }
  header[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  return Buffer.concat([header, masked ? Buffer.alloc(4) : Buffer.alloc(0), payload]);
}

/** A WebSocket client on a bare TCP socket, to send what a conforming client never would. */
class RawClient {
  private received = Buffer.alloc(0);
  private ended = false;
  private onChange: (() => void) | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.onChange?.();
    });
    socket.on("close", () => {
      this.ended = true;
      this.onChange?.();
    });
    socket.on("error", () => {});
  }

  static async connect(url: string): Promise<RawClient> {
    const target = new URL(url);
    const socket = net.connect(Number(target.port), target.hostname);
    await once(socket, "connect");
    const client = new RawClient(socket);
    socket.write(
      `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await client.until(() => client.received.includes("\r\n\r\n"));
    const end = client.received.indexOf("\r\n\r\n") + 4;
    expect(client.received.subarray(0, end).toString()).toMatch(/^HTTP\/1\.1 101 /);
    client.received = client.received.subarray(end);
    return client;
  }

  send(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** The code of the server's close frame (null if the connection ended without one). */
  async closeCode(): Promise<number | null> {
    let code: number | null | undefined;
    await this.until(() => {
      for (const { opcode, payload } of this.frames()) {
        if (opcode === 0x8) code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
      }
      if (code === undefined && this.ended) code = null;
      return code !== undefined;
    });
    return code!;
  }

  close(): void {
    this.socket.destroy();
  }

  private *frames(): Generator<{ opcode: number; payload: Buffer }> {
    let at = 0;
    while (at + 2 <= this.received.length) {
      let length = this.received[at + 1]! & 0x7f;
      let start = at + 2;
      if (length === 126) {
        if (start + 2 > this.received.length) return;
        length = this.received.readUInt16BE(start);
        start += 2;
      } else if (length === 127) {
        if (start + 8 > this.received.length) return;
        length = Number(this.received.readBigUInt64BE(start));
        start += 8;
      }
      if (start + length > this.received.length) return;
      yield { opcode: this.received[at]! & 0x0f, payload: this.received.subarray(start, start + length) };
      at = start + length;
    }
  }

  private until(test: () => boolean, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.onChange = null;
        reject(new Error(`raw client: timed out (${this.received.length} bytes received)`));
      }, timeoutMs);
      this.onChange = () => {
        if (!test()) return;
        clearTimeout(timer);
        this.onChange = null;
        resolve();
      };
      this.onChange();
    });
  }
}

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

  it("closes a client that sends a malformed frame with the protocol's code; the runner, the shell and other terminals carry on", async () => {
    const bystanderId = await newSession();
    const bystander = await connect(bystanderId);
    await bystander.waitFor(PROMPT);
    const id = await newSession();
    const first = await connect(id);
    await first.waitFor(PROMPT);
    first.type("export MARK=kept-$((40+2))\r");
    await first.close();

    const binary = 0x2;
    const text = 0x1;
    const cases: [string, Buffer[], number][] = [
      ["a frame over maxPayload (only its header sent)", [wsFrame(binary, Buffer.alloc(16), { declaredLength: 2 * 1024 * 1024 })], 1009],
      [
        "a message over maxPayload in fragments",
        [wsFrame(binary, Buffer.alloc(600 * 1024), { fin: false }), wsFrame(0x0, Buffer.alloc(600 * 1024))],
        1009,
      ],
      ["a TEXT frame that is not UTF-8", [wsFrame(text, Buffer.from([0x68, 0xc3, 0x28, 0xff]))], 1007],
      ["an unknown opcode", [wsFrame(0x3, Buffer.from([0]))], 1002],
      ["RSV1 without an extension", [wsFrame(binary, Buffer.from([0, 0x61]), { rsv: 4 })], 1002],
      ["an unmasked client frame", [wsFrame(binary, Buffer.from([0, 0x61]), { masked: false })], 1002],
      ["a fragmented ping", [wsFrame(0x9, Buffer.from("x"), { fin: false })], 1002],
      ["a ping over 125 bytes", [wsFrame(0x9, Buffer.alloc(126))], 1002],
      ["a close frame with an invalid code", [wsFrame(0x8, Buffer.from([0x03, 0xe7]))], 1002],
    ];
    for (const [label, frames, expected] of cases) {
      const raw = await RawClient.connect(runner.ptyUrl(id, runner.ticket(id, "u1")));
      for (const frame of frames) await raw.send(frame).catch(() => {});
      expect([label, await raw.closeCode()]).toEqual([label, expected]);
      raw.close();
    }

    expect((await runner.call("GET", "/v1/health")).status).toBe(200);
    bystander.clear();
    bystander.type("echo still-$((2*3))\r");
    await bystander.waitFor("still-6");
    // The same shell, reached again by a well-behaved client.
    const again = await connect(id);
    await again.waitFor(PROMPT);
    again.clear();
    again.type("echo $MARK\r");
    await again.waitFor("kept-42");
    await Promise.all([again.close(), bystander.close()]);
    await runner.call("DELETE", `/v1/sessions/${id}`);
    await runner.call("DELETE", `/v1/sessions/${bystanderId}`);
  });

  it("ignores TEXT frames and frames of unknown or malformed types, and keeps the socket open", async () => {
    const id = await newSession();
    const term = await connect(id);
    await term.waitFor(PROMPT);
    for (let i = 0; i < 1000; i++) {
      term.socket.send("hello", { binary: false });
      term.sendFrame(Uint8Array.of(0x09, i & 0xff));
      term.sendFrame(Uint8Array.of(0x01, 0, 80)); // a RESIZE one byte short
      term.sendFrame(Uint8Array.of(0x04, 0, 0, 0, 1)); // DROPPED goes the other way
      term.sendFrame(new Uint8Array());
    }
    term.clear();
    term.type("echo open-$((3*3))\r");
    await term.waitFor("open-9");
    expect(term.socket.readyState).toBe(term.socket.OPEN);
    await term.close();
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("survives a client that resets the connection while its upgrade is refused", async () => {
    const id = await newSession();
    const target = new URL(runner.ptyUrl(id, "not-a-ticket"));
    for (let i = 0; i < 20; i++) {
      const socket = net.connect(Number(target.port), target.hostname);
      socket.on("error", () => {});
      await once(socket, "connect");
      socket.write(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      socket.resetAndDestroy();
      await once(socket, "close");
    }
    expect((await runner.call("GET", "/v1/health")).status).toBe(200);
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("holds at most MAX_PENDING_INPUT of input a program does not read, drops and reports the rest, and delivers again once it reads", async () => {
    const id = await newSession();
    await runner.call("PUT", `/v1/sessions/${id}/files`, {
      files: [
        {
          path: "reader.py",
          content: [
            "import os",
            "count = 0",
            "while True:",
            "    chunk = os.read(0, 65536)",
            "    end = chunk.find(b'Z')",
            "    if not chunk or end >= 0:",
            "        count += max(end, 0)",
            "        break",
            "    count += len(chunk)",
            "os.write(1, b'read %d bytes\\n' % count)",
          ].join("\n"),
        },
      ],
    });
    let dropped = 0;
    let dropNotices = 0;
    const term = await connect(id);
    term.socket.on("message", (message: Buffer) => {
      const frame = decodeFrame(message);
      if (frame?.type === "dropped") {
        dropped += frame.bytes;
        dropNotices++;
      }
    });
    await term.waitFor(PROMPT);
    // Raw mode: the terminal passes every byte as it is and the kernel holds only a little.
    term.type("stty raw -echo; echo RE''ADY; while [ ! -e go ]; do sleep 0.05; done; python3 reader.py; stty sane\r");
    await term.waitFor("READY");
    const terminal = runner.sessions.terminal(id);

    const FLOOD_BYTES = 50 * 1024 * 1024;
    const frame = encodeData(Buffer.alloc(64 * 1024 - 1, "a"));
    const memory = () => {
      gc();
      return process.memoryUsage();
    };
    const before = memory();
    let rssMax = before.rss;
    let buffersMax = before.arrayBuffers;
    let pendingMax = 0;
    let sent = 0;
    for (let frames = 1; sent < FLOOD_BYTES; frames++) {
      await new Promise<void>((resolve, reject) => term.socket.send(frame, (err) => (err ? reject(err) : resolve())));
      sent += frame.length - 1;
      pendingMax = Math.max(pendingMax, terminal.pendingInputBytes);
      if (frames % 64 === 0) {
        const now = memory();
        rssMax = Math.max(rssMax, now.rss);
        buffersMax = Math.max(buffersMax, now.arrayBuffers);
      }
    }
    // The server has handled every frame once it answers a ping sent after them.
    term.socket.ping();
    await once(term.socket, "pong");
    const after = memory();
    rssMax = Math.max(rssMax, after.rss);
    buffersMax = Math.max(buffersMax, after.arrayBuffers);
    pendingMax = Math.max(pendingMax, terminal.pendingInputBytes);
    console.log(
      `input flood: ${sent} bytes sent, pending max ${pendingMax} (at the end ${terminal.pendingInputBytes}), ` +
        `RSS ${mib(before.rss)} -> max ${mib(rssMax)} MiB, buffers ${mib(before.arrayBuffers)} -> max ${mib(buffersMax)} MiB`,
    );
    expect(pendingMax).toBeLessThanOrEqual(MAX_PENDING_INPUT);
    expect(terminal.pendingInputBytes).toBeGreaterThan(MAX_PENDING_INPUT - frame.length);
    expect(buffersMax - before.arrayBuffers).toBeLessThan(24 * 1024 * 1024);
    expect(rssMax - before.rss).toBeLessThan(40 * 1024 * 1024);
    // Reported at once: the first discard.
    expect(dropNotices).toBe(1);

    // The program reads now: what was held drains, and new input reaches it.
    await runner.call("PUT", `/v1/sessions/${id}/files`, { files: [{ path: "go", content: "" }] });
    const deadline = Date.now() + 30_000;
    while (terminal.pendingInputBytes > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(terminal.pendingInputBytes).toBe(0);
    term.clear();
    term.type("Z");
    const output = await term.waitFor(/read \d+ bytes/);
    // The rest of the count arrived before the accepted "Z": the notices add up to every byte dropped.
    expect(dropNotices).toBe(2);
    expect(dropped).toBeGreaterThan(FLOOD_BYTES - 2 * MAX_PENDING_INPUT);
    expect(Number(/read (\d+) bytes/.exec(output)![1])).toBe(sent - dropped);
    await term.waitFor(PROMPT);
    await term.close();
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("cuts off a client that floods pings, and closes one that ACKs output it never read with 1008", async () => {
    const id = await newSession();
    const terminal = runner.sessions.terminal(id);
    const pinger = await RawClient.connect(runner.ptyUrl(id, runner.ticket(id, "u1")));
    expect(terminal.attached).toBe(true);
    pinger.socket.pause();
    const pings = Buffer.concat(Array.from({ length: 512 }, () => wsFrame(0x9, Buffer.alloc(125, "p"))));
    for (let sent = 0; terminal.attached && sent < 64 * 1024 * 1024; sent += pings.length) {
      await pinger.send(pings).catch(() => {});
    }
    expect(terminal.attached).toBe(false);
    pinger.close();

    const liar = await RawClient.connect(runner.ptyUrl(id, runner.ticket(id, "u1")));
    liar.socket.pause();
    await liar.send(wsFrame(0x2, encodeData("yes\r")));
    const ack = wsFrame(0x2, encodeAck(0xffffffff));
    const liarDeadline = Date.now() + 30_000;
    while (terminal.attached && Date.now() < liarDeadline) {
      await liar.send(ack);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(terminal.attached).toBe(false);
    liar.socket.resume();
    expect(await liar.closeCode()).toBe(1008);
    liar.close();

    // The shell is still there for a client that reads.
    const term = await connect(id);
    term.sendFrame(encodeData("\x03"));
    await term.waitFor(PROMPT);
    term.clear();
    term.type("echo fine-$((4+4))\r");
    await term.waitFor("fine-8");
    await term.close();
    await runner.call("DELETE", `/v1/sessions/${id}`);
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
