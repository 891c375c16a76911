import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadRunnerConfig } from "../src/config";
import {
  AUDIT_ARCH_X86_64,
  BPF,
  decodeProgram,
  DENIED_SYSCALLS,
  encodeProgram,
  seccompFilterPath,
  seccompProgram,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SOCKET_FAMILIES,
  SOCKETPAIR_FAMILIES,
  X86_64_SYSCALLS,
  type SockFilter,
} from "../src/sandbox/seccomp";

/**
 * A classic-BPF interpreter for the subset the filter uses, with the kernel verifier's rules that
 * matter here (seccomp_check_filter / bpf_check_classic): at most 4096 instructions, every jump
 * forward and inside the program, only absolute 32-bit aligned loads inside seccomp_data, and the
 * last instruction a return. Runs the program on one `struct seccomp_data`.
 */
function verify(program: SockFilter[]): void {
  expect(program.length).toBeGreaterThan(0);
  expect(program.length).toBeLessThanOrEqual(4096);
  program.forEach((insn, pc) => {
    switch (insn.code) {
      case BPF.LD_W_ABS:
        expect(insn.k % 4).toBe(0);
        expect(insn.k).toBeLessThan(64);
        break;
      case BPF.JEQ_K:
      case BPF.JSET_K:
        expect(pc + 1 + insn.jt).toBeLessThan(program.length);
        expect(pc + 1 + insn.jf).toBeLessThan(program.length);
        break;
      case BPF.RET_K:
        break;
      default:
        throw new Error(`unexpected opcode ${insn.code} at ${pc}`);
    }
  });
  expect(program[program.length - 1].code).toBe(BPF.RET_K);
}

interface SeccompData {
  nr: number;
  arch?: number;
  args?: bigint[];
}

function run(program: SockFilter[], data: SeccompData): number {
  const bytes = Buffer.alloc(64);
  bytes.writeInt32LE(data.nr | 0, 0);
  bytes.writeUInt32LE(data.arch ?? AUDIT_ARCH_X86_64, 4);
  (data.args ?? []).forEach((arg, i) =>
    bytes.writeBigUInt64LE(BigInt.asUintN(64, arg), 16 + 8 * i),
  );
  let a = 0;
  for (let pc = 0, steps = 0; steps < 10_000; steps++) {
    const insn = program[pc];
    switch (insn.code) {
      case BPF.LD_W_ABS:
        a = bytes.readUInt32LE(insn.k);
        pc++;
        break;
      case BPF.JEQ_K:
        pc += 1 + (a === insn.k ? insn.jt : insn.jf);
        break;
      case BPF.JSET_K:
        pc += 1 + ((a & insn.k) !== 0 ? insn.jt : insn.jf);
        break;
      case BPF.RET_K:
        return insn.k;
      default:
        throw new Error(`unexpected opcode ${insn.code}`);
    }
  }
  throw new Error("no return");
}

const EPERM = (SECCOMP_RET_ERRNO | 1) >>> 0;
const ENOSYS = (SECCOMP_RET_ERRNO | 38) >>> 0;
const EAFNOSUPPORT = (SECCOMP_RET_ERRNO | 97) >>> 0;
const ALLOW = SECCOMP_RET_ALLOW >>> 0;
const KILL = SECCOMP_RET_KILL_PROCESS >>> 0;

describe("seccomp filter", () => {
  const program = seccompProgram();

  it("is a valid classic-BPF program that round-trips through its encoding", () => {
    verify(program);
    const bytes = encodeProgram(program);
    expect(bytes.length).toBe(program.length * 8);
    expect(decodeProgram(bytes)).toEqual(program);
    // Every path ends in one of the five actions.
    const returns = new Set(
      program.filter((insn) => insn.code === BPF.RET_K).map((insn) => insn.k),
    );
    expect([...returns].sort()).toEqual(
      [ALLOW, EPERM, ENOSYS, EAFNOSUPPORT, KILL].sort(),
    );
  });

  it("denies each listed system call with EPERM", () => {
    expect(DENIED_SYSCALLS.length).toBeGreaterThanOrEqual(40);
    for (const name of DENIED_SYSCALLS)
      expect([name, run(program, { nr: X86_64_SYSCALLS[name] })]).toEqual([
        name,
        EPERM,
      ]);
    for (const name of [
      "keyctl",
      "bpf",
      "perf_event_open",
      "userfaultfd",
      "io_uring_setup",
      "unshare",
      "setns",
      "mount",
      "pivot_root",
      "kexec_load",
      "init_module",
      "open_by_handle_at",
    ] as const)
      expect(DENIED_SYSCALLS).toContain(name);
  });

  it("allows what ordinary programs use", () => {
    // read write open close stat fstat mmap mprotect brk rt_sigaction ioctl(other) pipe select
    // sched_yield madvise dup2 getpid socket connect fork vfork execve exit wait4 kill fcntl
    // getdents64 set_tid_address clock_gettime exit_group epoll_wait openat futex prlimit64
    // getrandom memfd_create statx rseq pidfd_open close_range openat2 epoll_pwait2
    // (socket with AF_INET, args[0] = 2)
    for (const nr of [
      0, 1, 2, 3, 4, 5, 9, 10, 12, 13, 22, 23, 24, 28, 33, 39, 41, 42, 57, 58,
      59, 60, 61, 62, 72, 217, 218, 228, 231, 232, 257, 202, 302, 318, 319,
      332, 334, 434, 436, 437, 441,
    ])
      expect([nr, run(program, { nr, args: [2n] })]).toEqual([nr, ALLOW]);
  });

  it("lets socket create AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK sockets only, socketpair AF_UNIX only, on the low 32 bits", () => {
    const socket = (family: bigint, type = 1n) =>
      run(program, { nr: X86_64_SYSCALLS.socket, args: [family, type, 0n] });
    const socketpair = (family: bigint) =>
      run(program, {
        nr: X86_64_SYSCALLS.socketpair,
        args: [family, 1n, 0n, 0n],
      });
    expect(Object.values(SOCKET_FAMILIES).sort((a, b) => a - b)).toEqual([
      1, 2, 10, 16,
    ]);
    expect(Object.values(SOCKETPAIR_FAMILIES)).toEqual([1]);
    for (const family of [1n, 2n, 10n, 16n]) {
      expect([family, socket(family)]).toEqual([family, ALLOW]);
      // The type (SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC) is not the filter's business.
      expect([family, socket(family, 0x80802n)]).toEqual([family, ALLOW]);
    }
    expect(socketpair(1n)).toBe(ALLOW);
    // AF_UNSPEC, AF_IPX, AF_APPLETALK, AF_AX25, AF_KEY, AF_PACKET, AF_RDS, AF_CAN, AF_TIPC,
    // AF_BLUETOOTH, AF_ALG, AF_VSOCK, AF_QIPCRTR, AF_XDP, AF_MCTP, and past AF_MAX.
    for (const family of [
      0n, 3n, 4n, 5n, 15n, 17n, 21n, 29n, 30n, 31n, 38n, 40n, 42n, 44n, 45n,
      46n, 255n, 0xffffffffn,
    ])
      expect([family, socket(family)]).toEqual([family, EAFNOSUPPORT]);
    for (const family of [0n, 2n, 10n, 16n, 40n])
      expect([family, socketpair(family)]).toEqual([family, EAFNOSUPPORT]);
    // The kernel reads an int: the high 32 bits of the register do not count, either way.
    expect(socket(0x1_00000002n)).toBe(ALLOW);
    expect(socket(0x2_00000028n)).toBe(EAFNOSUPPORT);
    expect(socketpair(0xffffffff_00000001n)).toBe(ALLOW);
    // connect, sendto and bind take a descriptor, not a family: untouched.
    for (const nr of [42, 44, 49])
      expect([nr, run(program, { nr, args: [40n] })]).toEqual([nr, ALLOW]);
  });

  it("denies ioctl TIOCSTI and TIOCLINUX on the low 32 bits of the request only", () => {
    const ioctl = X86_64_SYSCALLS.ioctl;
    const call = (request: bigint) =>
      run(program, { nr: ioctl, args: [0n, request, 0n] });
    expect(call(0x5412n)).toBe(EPERM);
    expect(call(0x541cn)).toBe(EPERM);
    expect(call(0xffffffff00005412n)).toBe(EPERM);
    expect(call(0x5413n)).toBe(ALLOW); // TIOCGWINSZ
    expect(call(0x5401n)).toBe(ALLOW); // TCGETS
    expect(call(0x5410n)).toBe(ALLOW); // TIOCSPGRP (job control)
    expect(call(0x5412n << 32n)).toBe(ALLOW);
  });

  it("denies clone with a CLONE_NEW* flag, lets fork and threads through, and answers clone3 ENOSYS", () => {
    const clone = (flags: bigint) =>
      run(program, { nr: X86_64_SYSCALLS.clone, args: [flags] });
    expect(clone(0x01200011n)).toBe(ALLOW); // fork: CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD
    expect(clone(0x003d0f00n)).toBe(ALLOW); // pthread_create
    expect(clone(0x00004111n)).toBe(ALLOW); // vfork-style: CLONE_VM|CLONE_VFORK|SIGCHLD
    for (const flag of [
      0x00020000n,
      0x02000000n,
      0x04000000n,
      0x08000000n,
      0x10000000n,
      0x20000000n,
      0x40000000n,
    ])
      expect(clone(flag | 0x11n)).toBe(EPERM);
    expect(run(program, { nr: X86_64_SYSCALLS.clone3 })).toBe(ENOSYS);
  });

  it("kills a call from another architecture and refuses x32 calls", () => {
    const AUDIT_ARCH_I386 = 0x40000003;
    expect(run(program, { nr: 20, arch: AUDIT_ARCH_I386 })).toBe(KILL);
    expect(run(program, { nr: 39, arch: 0 })).toBe(KILL);
    expect(run(program, { nr: 0x40000000 | 39 })).toBe(EPERM);
    expect(run(program, { nr: 0x40000000 | 0 })).toBe(EPERM);
    // -1 (a tracer skipping a call) is left to the kernel, which answers ENOSYS.
    expect(run(program, { nr: -1 })).toBe(ALLOW);
    expect(run(program, { nr: 1000 })).toBe(ALLOW);
  });

  it("is written once to a root-only-writable file under the state directory", () => {
    const stateDir = path.join(os.tmpdir(), `autocrea-seccomp-${process.pid}`);
    try {
      const config = loadRunnerConfig({ RUNNER_STATE_DIR: stateDir });
      const file = seccompFilterPath(config);
      expect(path.dirname(file)).toBe(path.join(stateDir, "seccomp"));
      expect(decodeProgram(readFileSync(file))).toEqual(program);
      expect(seccompFilterPath(config)).toBe(file);
      rmSync(file);
      expect(seccompFilterPath(config)).toBe(file);
      expect(readFileSync(file)).toEqual(encodeProgram(program));
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
