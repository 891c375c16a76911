/*
 * sandbox-launch: the one step between the runner (root) and bubblewrap.
 *
 * It replaces `sh` (join the cgroups) → `prlimit` → `setpriv` with a single small
 * static program, which is what makes a sandbox start cheaply. In order:
 *   1. joins every cgroup given (so that nothing started later can escape them),
 *   2. sets the resource limits (cpu, fsize, nofile; core 0),
 *   3. empties the capability bounding set and the ambient set,
 *   4. drops supplementary groups, gid and uid (real, effective, saved),
 *   5. clears every remaining capability (inheritable too) and sets no_new_privs,
 *   6. checks that root cannot be regained, then execs the program (bubblewrap).
 * Before step 2 it marks every descriptor >= 3 close-on-exec except those named by --keep-fd, so
 * that bubblewrap, and the sandboxed program after it, get stdin, stdout, stderr and only the
 * descriptors the runner wires up for them (bubblewrap's --json-status-fd, a ready sandbox's pipes),
 * never one the runner itself happened to inherit (see cloexec-fds.h). The keep-list is explicit
 * rather than read from bubblewrap's command line: the runner knows which descriptors it passes,
 * and anything not named is closed, so a bubblewrap option this file does not know cannot open a hole.
 * Any failure exits with 125 and a message on stderr; nothing is exec'd then.
 *
 * `--open-fd N:PATH` (repeatable) opens PATH read-only at descriptor N for the program, like a
 * --keep-fd descriptor: the runner names the sandbox's seccomp filter this way, which bubblewrap reads
 * from N (`--seccomp N`). The file is opened last, after the privileges are dropped, as the sandbox
 * uid (so it can be nothing that uid could not open itself), without following a symlink, and it must
 * be a regular file. The launcher opens it rather than the runner so that every way a sandbox starts
 * (a PTY's shell too, which node-pty starts with stdio only) gets a fresh descriptor of its own:
 * bubblewrap reads the filter to its end and closes it.
 *
 * Usage (the runner builds it, see ../command.ts):
 *   sandbox-launch --uid U --gid G --cpu SOFT:HARD --fsize BYTES --nofile N [--keep-fd FD]...
 *                  [--open-fd N:PATH]... --cgroup PROCS_FILE [--cgroup PROCS_FILE]... -- PROGRAM [ARG]...
 *
 * Warm mode (../warm-pool.ts): `--uid U --gid G --cgroup F... --wait-fd FD`. Step 1 runs at once;
 * then the launcher (still root, running nothing else) blocks reading FD until EOF. What it reads is
 * `--cpu SOFT:HARD --fsize BYTES --nofile N [--keep-fd FD]... [--open-fd N:PATH]... -- PROGRAM [ARG]...`
 * as NUL-terminated
 * strings (FD is never the request pipe, which is closed once read), after
 * which steps 2-6 run exactly as above. This takes process start-up and the cgroup migration (an
 * RCU grace period on cgroup v1, ~5 ms) off the critical path of a run without sharing anything
 * between runs: a warm launcher serves exactly one run, in its own fresh cgroup, and starts its
 * own bubblewrap. EOF without a request makes it exit (125) without running anything.
 *
 * Built by ./build.sh (scripts/setup.sh and the Dockerfile run it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "cloexec-fds.h"

#define EXIT_LAUNCH_FAILED 125

#define FAIL_PREFIX "sandbox-launch: "
#define FAIL_EXIT_CODE EXIT_LAUNCH_FAILED
#include "fail.h"
/* An unused warm launcher exits like a failed launch: the runner never waits for it. */
#define UNUSED_EXIT_CODE EXIT_LAUNCH_FAILED
#include "request.h"
#define MAX_CGROUPS 16
#define MAX_OPEN_FDS 4

static void join_cgroup(const char *procs_file) {
  char pid[32];
  int length = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  int fd = open(procs_file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) die("cannot join cgroup %s", procs_file);
  if (write(fd, pid, (size_t)length) != length) die("cannot join cgroup %s", procs_file);
  if (close(fd) != 0) die("cannot join cgroup %s", procs_file);
}

static void set_limit(int resource, const char *name, rlim_t soft, rlim_t hard) {
  struct rlimit limit = {.rlim_cur = soft, .rlim_max = hard};
  if (setrlimit(resource, &limit) != 0) die("cannot set %s limit", name);
}

static void drop_bounding_and_ambient_caps(void) {
  for (int cap = 0; cap <= 63; cap++) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past the kernel's last capability */
      die("cannot read capability bounding set");
    }
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) die("cannot drop capability %d from the bounding set", cap);
  }
  errno = 0;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    die("cannot clear ambient capabilities");
  }
}

static void clear_all_caps(void) {
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &header, data) != 0) die("cannot clear capabilities");
  memset(data, 0xff, sizeof data);
  if (syscall(SYS_capget, &header, data) != 0) die("cannot read capabilities");
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
    if (data[i].effective || data[i].permitted || data[i].inheritable) {
      errno = 0;
      die("capabilities remain after dropping them");
    }
  }
}

static void verify_dropped(uid_t uid, gid_t gid) {
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  errno = 0;
  if (getresuid(&ruid, &euid, &suid) != 0 || ruid != uid || euid != uid || suid != uid) die("uid was not dropped");
  if (getresgid(&rgid, &egid, &sgid) != 0 || rgid != gid || egid != gid || sgid != gid) die("gid was not dropped");
  if (getgroups(0, NULL) != 0) die("supplementary groups remain");
  if (setresuid(0, 0, 0) == 0 || setresgid(0, 0, 0) == 0) {
    errno = 0;
    die("root could be regained after dropping privileges");
  }
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) die("no_new_privs is not set");
}

struct options {
  long long uid, gid;
  unsigned long long cpu_soft, cpu_hard, fsize, nofile;
  int have_cpu, have_fsize, have_nofile;
  const char *cgroups[MAX_CGROUPS];
  int cgroup_count;
  int wait_fd;
  int keep_fds[CLOEXEC_MAX_KEEP];
  int keep_fd_count;
  int open_fds[MAX_OPEN_FDS];
  const char *open_paths[MAX_OPEN_FDS];
  int open_fd_count;
};

/* Parses options up to "--"; returns the index of the program (argc if none). */
static int parse_options(int argc, char **argv, struct options *o, int privileged_options) {
  int i = 1;
  for (; i < argc; i++) {
    const char *option = argv[i];
    errno = 0; /* messages about bad arguments carry no system error */
    if (strcmp(option, "--") == 0) {
      i++;
      break;
    }
    if (i + 1 >= argc) die("%s needs a value", option);
    const char *value = argv[++i];
    if (privileged_options && strcmp(option, "--uid") == 0) {
      o->uid = (long long)parse_number(option, value);
    } else if (privileged_options && strcmp(option, "--gid") == 0) {
      o->gid = (long long)parse_number(option, value);
    } else if (privileged_options && strcmp(option, "--wait-fd") == 0) {
      unsigned long long fd = parse_number(option, value);
      if (fd < 3 || fd > 1024) die("--wait-fd must be a descriptor above 2");
      o->wait_fd = (int)fd;
    } else if (strcmp(option, "--cpu") == 0) {
      const char *colon = strchr(value, ':');
      if (colon == NULL) die("--cpu needs SOFT:HARD");
      char soft[32];
      size_t length = (size_t)(colon - value);
      if (length == 0 || length >= sizeof soft) die("--cpu needs SOFT:HARD");
      memcpy(soft, value, length);
      soft[length] = '\0';
      o->cpu_soft = parse_number(option, soft);
      o->cpu_hard = parse_number(option, colon + 1);
      if (o->cpu_soft > o->cpu_hard) die("--cpu: soft limit above hard limit");
      o->have_cpu = 1;
    } else if (strcmp(option, "--keep-fd") == 0) {
      unsigned long long fd = parse_number(option, value);
      if (fd < 3 || fd > 1024) die("--keep-fd must be a descriptor above 2");
      if (o->keep_fd_count == CLOEXEC_MAX_KEEP) die("too many --keep-fd options");
      o->keep_fds[o->keep_fd_count++] = (int)fd;
    } else if (strcmp(option, "--open-fd") == 0) {
      const char *colon = strchr(value, ':');
      char number[16];
      size_t length = colon == NULL ? 0 : (size_t)(colon - value);
      if (length == 0 || length >= sizeof number || colon[1] != '/') die("--open-fd needs N:/ABSOLUTE/PATH");
      memcpy(number, value, length);
      number[length] = '\0';
      unsigned long long fd = parse_number(option, number);
      if (fd < 3 || fd > 1024) die("--open-fd must name a descriptor above 2");
      if (o->open_fd_count == MAX_OPEN_FDS) die("too many --open-fd options");
      o->open_fds[o->open_fd_count] = (int)fd;
      o->open_paths[o->open_fd_count++] = colon + 1;
    } else if (strcmp(option, "--fsize") == 0) {
      o->fsize = parse_number(option, value);
      o->have_fsize = 1;
    } else if (strcmp(option, "--nofile") == 0) {
      o->nofile = parse_number(option, value);
      o->have_nofile = 1;
    } else if (privileged_options && strcmp(option, "--cgroup") == 0) {
      if (o->cgroup_count == MAX_CGROUPS) die("too many --cgroup options");
      o->cgroups[o->cgroup_count++] = value;
    } else {
      die("unknown option %s", option);
    }
  }
  return i;
}

static void apply_limits(const struct options *o) {
  set_limit(RLIMIT_CPU, "cpu", (rlim_t)o->cpu_soft, (rlim_t)o->cpu_hard);
  set_limit(RLIMIT_FSIZE, "fsize", (rlim_t)o->fsize, (rlim_t)o->fsize);
  set_limit(RLIMIT_NOFILE, "nofile", (rlim_t)o->nofile, (rlim_t)o->nofile);
  set_limit(RLIMIT_CORE, "core", 0, 0);
}

/* Each --open-fd descriptor must differ from the others, from the kept ones and from the request pipe. */
static void check_open_fds(const struct options *o) {
  errno = 0;
  for (int k = 0; k < o->open_fd_count; k++) {
    int fd = o->open_fds[k];
    if (fd == o->wait_fd) die("--open-fd cannot use the request descriptor");
    if (cloexec_fd_kept(fd, o->keep_fds, o->keep_fd_count)) die("--open-fd %d is also a --keep-fd", fd);
    for (int j = 0; j < k; j++)
      if (o->open_fds[j] == fd) die("--open-fd %d given twice", fd);
  }
}

/* Opens each --open-fd file read-only at its descriptor, not close-on-exec (after the privileges are dropped). */
static void open_fds(const struct options *o) {
  for (int k = 0; k < o->open_fd_count; k++) {
    const char *file = o->open_paths[k];
    int target = o->open_fds[k];
    int fd = open(file, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) die("cannot open %s", file);
    struct stat st;
    if (fstat(fd, &st) != 0) die("cannot stat %s", file);
    errno = 0;
    if (!S_ISREG(st.st_mode)) die("%s is not a regular file", file);
    if (fd == target) {
      if (fcntl(fd, F_SETFD, 0) != 0) die("cannot pass on %s", file);
    } else {
      if (dup2(fd, target) != target) die("cannot open %s at descriptor %d", file, target);
      close(fd);
    }
  }
}

int main(int argc, char **argv) {
  struct options o = {.uid = -1, .gid = -1, .wait_fd = -1};
  int program = parse_options(argc, argv, &o, 1);
  errno = 0;
  if (o.uid <= 0 || o.gid <= 0 || o.uid >= 0x7fffffff || o.gid >= 0x7fffffff) die("--uid and --gid must be non-zero ids");
  if (o.cgroup_count == 0) die("at least one --cgroup is required");
  if (geteuid() != 0) die("must start as root (it joins cgroups and drops to the sandbox uid)");
  if (o.wait_fd >= 0) {
    if (program < argc) die("--wait-fd takes the run from the descriptor, not after --");
    if (fcntl(o.wait_fd, F_SETFD, FD_CLOEXEC) != 0) die("bad --wait-fd");
  } else {
    if (!o.have_cpu || !o.have_fsize || !o.have_nofile) die("--cpu, --fsize and --nofile are required");
    if (program >= argc) die("no program given after --");
  }

  for (int c = 0; c < o.cgroup_count; c++) join_cgroup(o.cgroups[c]);

  if (o.wait_fd >= 0) {
    /* Warm: still root, in the cgroups, nothing else done yet. The run arrives from the runner. */
    int count;
    /* The run's `--cpu … -- PROGRAM ARGS`, after an argv[0] for parse_options. */
    char **request = read_request(o.wait_fd, 1, &count);
    close(o.wait_fd);
    request[0] = "sandbox-launch";
    program = parse_options(count, request, &o, 0);
    errno = 0;
    if (!o.have_cpu || !o.have_fsize || !o.have_nofile) die("--cpu, --fsize and --nofile are required");
    if (program >= count) die("no program given after --");
    argv = request;
    for (int k = 0; k < o.keep_fd_count; k++)
      if (o.keep_fds[k] == o.wait_fd) die("--keep-fd cannot pass on the request descriptor");
  }

  check_open_fds(&o);

  /* Before the limits: without close_range and /proc it walks up to RLIMIT_NOFILE, which they lower. */
  if (cloexec_fds_except(o.keep_fds, o.keep_fd_count) != 0) die("cannot mark inherited descriptors close-on-exec");
  apply_limits(&o);
  drop_bounding_and_ambient_caps();
  if (setgroups(0, NULL) != 0) die("cannot clear supplementary groups");
  if (setresgid((gid_t)o.gid, (gid_t)o.gid, (gid_t)o.gid) != 0) die("cannot set gid %lld", o.gid);
  if (setresuid((uid_t)o.uid, (uid_t)o.uid, (uid_t)o.uid) != 0) die("cannot set uid %lld", o.uid);
  clear_all_caps();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("cannot set no_new_privs");
  verify_dropped((uid_t)o.uid, (gid_t)o.gid);
  open_fds(&o);

  execv(argv[program], &argv[program]);
  die("cannot run %s", argv[program]);
}
