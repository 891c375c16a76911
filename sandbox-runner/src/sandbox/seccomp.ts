import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import type { RunnerConfig } from "../config.js";

/**
 * The seccomp filter of every sandboxed process: a classic-BPF program (an array of
 * `struct sock_filter`) that bubblewrap loads with `--seccomp FD` after its own set-up, just before
 * it execs the program, so it applies to the program and everything it starts (a ready sandbox's
 * exec helper included). A denylist modelled on Docker's default profile and Flatpak's: the calls
 * below fail with EPERM, everything else is allowed. Most of them fail anyway for an unprivileged
 * uid without capabilities in bubblewrap's namespaces; the filter closes the kernel attack surface
 * (keyrings, bpf, perf, userfaultfd, io_uring, the new mount API …) behind them.
 *
 * x86_64 only: a call made through another ABI (i386's `int 0x80`) kills the process, an x32 call
 * (nr | 0x40000000) fails with EPERM. `clone3` fails with ENOSYS so that the C library falls back to
 * `clone`, whose flags a classic-BPF filter can inspect (clone3 passes them in memory): a `clone`
 * with any CLONE_NEW* flag fails with EPERM. `ioctl` TIOCSTI / TIOCLINUX (typing into a terminal)
 * fail with EPERM. `socket` takes only the address families a sandbox needs (AF_UNIX, AF_INET,
 * AF_INET6, and AF_NETLINK for the C library's getaddrinfo) and `socketpair` only AF_UNIX; any other
 * family fails with EAFNOSUPPORT, as from a kernel without it. The network namespace does not
 * confine every family (AF_VSOCK reaches the hypervisor and its other guests whatever the namespace),
 * and each one left out is kernel code a program cannot reach.
 */

/** x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl), by name. */
export const X86_64_SYSCALLS = {
  ioctl: 16,
  socket: 41,
  socketpair: 53,
  clone: 56,
  syslog: 103,
  uselib: 134,
  vhangup: 153,
  pivot_root: 155,
  adjtimex: 159,
  acct: 163,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  init_module: 175,
  delete_module: 176,
  quotactl: 179,
  nfsservctl: 180,
  lookup_dcookie: 212,
  clock_settime: 227,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  perf_event_open: 298,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  setns: 308,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  clone3: 435,
  mount_setattr: 442,
  quotactl_fd: 443,
  open_tree_attr: 467,
} as const;

export type SyscallName = keyof typeof X86_64_SYSCALLS;

/** Denied outright with EPERM. */
export const DENIED_SYSCALLS: readonly SyscallName[] = [
  // keyrings (not namespaced)
  "keyctl",
  "add_key",
  "request_key",
  // kernel attack surface an ordinary program does not need
  "bpf",
  "userfaultfd",
  "perf_event_open",
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
  "lookup_dcookie",
  "uselib",
  "nfsservctl",
  // kernel modules and kexec
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  // mounts, old and new API
  "mount",
  "umount2",
  "pivot_root",
  "move_mount",
  "open_tree",
  "open_tree_attr",
  "fsopen",
  "fsconfig",
  "fsmount",
  "fspick",
  "mount_setattr",
  // namespaces (see also clone below)
  "setns",
  "unshare",
  // the machine itself: swap, reboot, clocks, accounting, quotas, kernel log, terminals
  "swapon",
  "swapoff",
  "reboot",
  "settimeofday",
  "clock_settime",
  "clock_adjtime",
  "adjtimex",
  "acct",
  "quotactl",
  "quotactl_fd",
  "syslog",
  "vhangup",
  // file handles (open_by_handle_at escapes a bind mount)
  "open_by_handle_at",
  "name_to_handle_at",
];

/** ioctl requests denied (compared on the low 32 bits of args[1]: the kernel takes an unsigned int). */
export const DENIED_IOCTLS = { TIOCSTI: 0x5412, TIOCLINUX: 0x541c } as const;

/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
export const CLONE_NEW_FLAGS =
  0x00020000 |
  0x02000000 |
  0x04000000 |
  0x08000000 |
  0x10000000 |
  0x20000000 |
  0x40000000;

/** Address families `socket` accepts (compared on the low 32 bits of args[0]: the kernel takes an int). */
export const SOCKET_FAMILIES = {
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  AF_NETLINK: 16,
} as const;

/** Address families `socketpair` accepts. */
export const SOCKETPAIR_FAMILIES = { AF_UNIX: 1 } as const;

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const X32_SYSCALL_BIT = 0x40000000;
export const EPERM = 1;
export const ENOSYS = 38;
export const EAFNOSUPPORT = 97;

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

/** Offsets in `struct seccomp_data` (little-endian: an argument's low 32 bits come first). */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  arg: (index: number) => 16 + 8 * index,
} as const;

/** Classic BPF opcodes used here. */
export const BPF = {
  LD_W_ABS: 0x20, // A = *(u32 *)(seccomp_data + k)
  JEQ_K: 0x15, // pc += (A == k) ? jt : jf
  JSET_K: 0x45, // pc += (A & k) ? jt : jf
  RET_K: 0x06,
} as const;

export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

type Target = string | null; // a label, or null: the next instruction

type Source =
  | { op: "ld"; offset: number }
  | { op: "jeq" | "jset"; k: number; jt: Target; jf: Target }
  | { op: "ret"; k: number }
  | { op: "label"; name: string };

/** Resolves labels to the relative forward jumps classic BPF has (0..255 instructions). */
function assemble(source: Source[]): SockFilter[] {
  const labels = new Map<string, number>();
  let index = 0;
  for (const item of source) {
    if (item.op === "label") {
      if (labels.has(item.name))
        throw new Error(`duplicate label ${item.name}`);
      labels.set(item.name, index);
    } else index++;
  }
  const program: SockFilter[] = [];
  for (const item of source) {
    if (item.op === "label") continue;
    const pc = program.length;
    const offset = (target: Target): number => {
      if (target === null) return 0;
      const at = labels.get(target);
      if (at === undefined) throw new Error(`unknown label ${target}`);
      const jump = at - pc - 1;
      if (jump < 0 || jump > 255)
        throw new Error(`jump to ${target} out of range (${jump})`);
      return jump;
    };
    if (item.op === "ld")
      program.push({ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: item.offset });
    else if (item.op === "ret")
      program.push({ code: BPF.RET_K, jt: 0, jf: 0, k: item.k >>> 0 });
    else
      program.push({
        code: item.op === "jeq" ? BPF.JEQ_K : BPF.JSET_K,
        jt: offset(item.jt),
        jf: offset(item.jf),
        k: item.k >>> 0,
      });
  }
  return program;
}

/** Allows the families listed (the accumulator holds one), EAFNOSUPPORT for any other. */
function familyCheck(families: Record<string, number>): Source[] {
  const values = Object.values(families);
  return values.map(
    (family, i): Source => ({
      op: "jeq",
      k: family,
      jt: "allow",
      jf: i === values.length - 1 ? "eafnosupport" : null,
    }),
  );
}

/** The filter, instruction by instruction (see the comment at the top of this file). */
export function seccompProgram(): SockFilter[] {
  const nr = (name: SyscallName) => X86_64_SYSCALLS[name];
  const source: Source[] = [
    { op: "ld", offset: SECCOMP_DATA.arch },
    { op: "jeq", k: AUDIT_ARCH_X86_64, jt: null, jf: "kill" },
    { op: "ld", offset: SECCOMP_DATA.nr },
    // nr -1 (a tracer skipping a call) goes to the kernel, which answers ENOSYS; x32 calls are refused.
    { op: "jeq", k: 0xffffffff, jt: "allow", jf: null },
    { op: "jset", k: X32_SYSCALL_BIT, jt: "eperm", jf: null },
    ...DENIED_SYSCALLS.map(
      (name): Source => ({ op: "jeq", k: nr(name), jt: "eperm", jf: null }),
    ),
    { op: "jeq", k: nr("ioctl"), jt: "ioctl", jf: null },
    { op: "jeq", k: nr("clone"), jt: "clone", jf: null },
    { op: "jeq", k: nr("socket"), jt: "socket", jf: null },
    { op: "jeq", k: nr("socketpair"), jt: "socketpair", jf: null },
    { op: "jeq", k: nr("clone3"), jt: "enosys", jf: "allow" },
    { op: "label", name: "ioctl" },
    { op: "ld", offset: SECCOMP_DATA.arg(1) },
    ...Object.values(DENIED_IOCTLS).map(
      (request): Source => ({ op: "jeq", k: request, jt: "eperm", jf: null }),
    ),
    { op: "ret", k: SECCOMP_RET_ALLOW },
    { op: "label", name: "clone" },
    { op: "ld", offset: SECCOMP_DATA.arg(0) },
    { op: "jset", k: CLONE_NEW_FLAGS, jt: "eperm", jf: "allow" },
    { op: "label", name: "socket" },
    { op: "ld", offset: SECCOMP_DATA.arg(0) },
    ...familyCheck(SOCKET_FAMILIES),
    { op: "label", name: "socketpair" },
    { op: "ld", offset: SECCOMP_DATA.arg(0) },
    ...familyCheck(SOCKETPAIR_FAMILIES),
    { op: "label", name: "allow" },
    { op: "ret", k: SECCOMP_RET_ALLOW },
    { op: "label", name: "eperm" },
    { op: "ret", k: SECCOMP_RET_ERRNO | EPERM },
    { op: "label", name: "enosys" },
    { op: "ret", k: SECCOMP_RET_ERRNO | ENOSYS },
    { op: "label", name: "eafnosupport" },
    { op: "ret", k: SECCOMP_RET_ERRNO | EAFNOSUPPORT },
    { op: "label", name: "kill" },
    { op: "ret", k: SECCOMP_RET_KILL_PROCESS },
  ];
  return assemble(source);
}

/** The program as the kernel (and bubblewrap's --seccomp) takes it: 8 bytes per instruction, little-endian. */
export function encodeProgram(program: SockFilter[]): Buffer {
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    bytes.writeUInt16LE(insn.code, i * 8);
    bytes.writeUInt8(insn.jt, i * 8 + 2);
    bytes.writeUInt8(insn.jf, i * 8 + 3);
    bytes.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return bytes;
}

export function decodeProgram(bytes: Buffer): SockFilter[] {
  if (bytes.length % 8 !== 0) throw new Error("not a sock_filter array");
  const program: SockFilter[] = [];
  for (let at = 0; at < bytes.length; at += 8)
    program.push({
      code: bytes.readUInt16LE(at),
      jt: bytes.readUInt8(at + 2),
      jf: bytes.readUInt8(at + 3),
      k: bytes.readUInt32LE(at + 4),
    });
  return program;
}

const cache = new Map<string, string>();

/**
 * The host file holding the compiled filter, written once (content-addressed:
 * `<stateDir>/seccomp/<sha256>.bpf`, root-owned, read-only for everyone). The launcher opens it as
 * the sandbox uid for each run (`--open-fd`) and bubblewrap reads it from that descriptor.
 */
export function seccompFilterPath(config: RunnerConfig): string {
  const cached = cache.get(config.stateDir);
  if (cached && existsSync(cached)) return cached;
  const bytes = encodeProgram(seccompProgram());
  const dir = path.join(config.stateDir, "seccomp");
  mkdirSync(config.stateDir, { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 32);
  const file = path.join(dir, `${hash}.bpf`);
  if (!existsSync(file)) {
    const staging = path.join(
      dir,
      `.staging-${process.pid}-${randomBytes(6).toString("hex")}`,
    );
    try {
      writeFileSync(staging, bytes, { mode: 0o444, flag: "wx" });
      renameSync(staging, file);
    } finally {
      rmSync(staging, { force: true });
    }
  }
  const stat = lstatSync(file);
  if (
    !stat.isFile() ||
    !readFileSync(file).equals(bytes) ||
    (process.getuid && stat.uid !== process.getuid()) ||
    (stat.mode & 0o022) !== 0
  )
    throw new Error(
      `the seccomp filter at ${file} is not a file of this runner's that only it can write`,
    );
  cache.set(config.stateDir, file);
  return file;
}
