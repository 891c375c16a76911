/*
 * sandbox-exec: the first program of a ready sandbox (../ready-pool.ts), run by bubblewrap inside
 * the finished sandbox (namespaces, mounts, /tmp, cgroup, uid, no capabilities, no_new_privs: all
 * as for any run). It lets bubblewrap's set-up happen before the run is known:
 *   1. writes one byte to READY_FD (the sandbox is built) and closes it,
 *   2. blocks reading REQUEST_FD until EOF; the request is NUL-terminated strings
 *        --cpu SOFT:HARD --fsize BYTES --nofile N --chdir DIR [--env K=V]... -- PROGRAM [ARG]...
 *   3. closes REQUEST_FD and marks every other descriptor >= 3 close-on-exec (the launcher passes
 *      bubblewrap nothing else, but the program is meant to get stdin, stdout and stderr only),
 *      lowers the rlimits to the run's, its own and those of bubblewrap's pid 1 (the launcher set
 *      the maxima a request may ask for; lowering is always allowed, raising never), sets core 0,
 *      changes directory,
 *   4. execs PROGRAM with exactly the given environment, so that the program keeps this process's
 *      pid, cgroup and session: it is then where bubblewrap would have exec'd it directly.
 * Nothing here is privileged. Any failure exits with 127 and a message on stderr. EOF without a
 * request (the runner let the sandbox go unused) exits 125 without running anything.
 *
 * Usage: sandbox-exec READY_FD REQUEST_FD. Built by ./build.sh next to sandbox-launch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cloexec-fds.h"

#define EXIT_FAILED 127
#define EXIT_UNUSED 125

#define FAIL_PREFIX "sandbox-exec: "
#define FAIL_EXIT_CODE EXIT_FAILED
#include "fail.h"
#define UNUSED_EXIT_CODE EXIT_UNUSED
#include "request.h"

static int parse_fd(const char *text) {
  unsigned long long fd = parse_number("descriptor", text);
  if (fd < 3 || fd > 1024) die("descriptors must be above 2");
  return (int)fd;
}

static void set_limit(pid_t pid, int resource, const char *name, rlim_t soft, rlim_t hard) {
  struct rlimit limit = {.rlim_cur = soft, .rlim_max = hard};
  if (prlimit(pid, resource, &limit, NULL) != 0) die("cannot set %s limit", name);
}

int main(int argc, char **argv) {
  errno = 0;
  if (argc != 3) die("usage: sandbox-exec READY_FD REQUEST_FD");
  int ready_fd = parse_fd(argv[1]);
  int request_fd = parse_fd(argv[2]);

  if (write(ready_fd, "R", 1) != 1) die("cannot report ready");
  close(ready_fd);

  int count;
  char **request = read_request(request_fd, 0, &count);
  close(request_fd);

  unsigned long long cpu_soft = 0, cpu_hard = 0, fsize = 0, nofile = 0;
  int have_cpu = 0, have_fsize = 0, have_nofile = 0;
  const char *dir = NULL;
  char **env = calloc((size_t)count + 1, sizeof *env);
  if (env == NULL) die("out of memory");
  int env_count = 0, program = count;
  for (int i = 0; i < count; i++) {
    const char *option = request[i];
    errno = 0;
    if (strcmp(option, "--") == 0) {
      program = i + 1;
      break;
    }
    if (i + 1 >= count) die("%s needs a value", option);
    char *value = request[++i];
    if (strcmp(option, "--cpu") == 0) {
      char *colon = strchr(value, ':');
      if (colon == NULL) die("--cpu needs SOFT:HARD");
      *colon = '\0';
      cpu_soft = parse_number(option, value);
      cpu_hard = parse_number(option, colon + 1);
      if (cpu_soft > cpu_hard) die("--cpu: soft limit above hard limit");
      have_cpu = 1;
    } else if (strcmp(option, "--fsize") == 0) {
      fsize = parse_number(option, value);
      have_fsize = 1;
    } else if (strcmp(option, "--nofile") == 0) {
      nofile = parse_number(option, value);
      have_nofile = 1;
    } else if (strcmp(option, "--chdir") == 0) {
      dir = value;
    } else if (strcmp(option, "--env") == 0) {
      if (strchr(value, '=') == NULL) die("--env needs KEY=VALUE");
      env[env_count++] = value;
    } else {
      die("unknown option %s", option);
    }
  }
  errno = 0;
  if (!have_cpu || !have_fsize || !have_nofile || dir == NULL) die("--cpu, --fsize, --nofile and --chdir are required");
  if (program >= count) die("no program given after --");

  /* Before the limits: without close_range and /proc it walks up to RLIMIT_NOFILE, which they lower. */
  if (cloexec_fds_except(NULL, 0) != 0) die("cannot mark descriptors close-on-exec");

  /* bubblewrap's pid 1 (our parent) runs as the same uid and the program could reach it (ptrace):
   * it gets the run's limits too, as when bubblewrap starts with them. */
  pid_t targets[2] = {0, 1};
  int target_count = getppid() == 1 ? 2 : 1;
  for (int t = 0; t < target_count; t++) {
    set_limit(targets[t], RLIMIT_CPU, "cpu", (rlim_t)cpu_soft, (rlim_t)cpu_hard);
    set_limit(targets[t], RLIMIT_FSIZE, "fsize", (rlim_t)fsize, (rlim_t)fsize);
    set_limit(targets[t], RLIMIT_NOFILE, "nofile", (rlim_t)nofile, (rlim_t)nofile);
    set_limit(targets[t], RLIMIT_CORE, "core", 0, 0);
  }
  if (chdir(dir) != 0) die("cannot change directory to %s", dir);

  execve(request[program], &request[program], env);
  die("cannot run %s", request[program]);
}
