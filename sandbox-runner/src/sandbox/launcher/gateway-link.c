/*
 * gateway-link: the first program of a sandbox that may install packages (a session's commands,
 * terminal and app). The sandbox has its own network namespace with nothing but loopback; the
 * runner binds one Unix socket into it, the session's door to the package gateway
 * (../../gateway/). This program
 *   1. listens on 127.0.0.1:PORT inside the sandbox (package managers speak HTTP to a host and
 *      port, never to a socket path), and forwards every connection, byte for byte, to SOCKET;
 *   2. forks and execs PROGRAM with the same stdio, environment and directory;
 *   3. when PROGRAM ends, exits with its status (128+N for a signal, as a shell reports it), which
 *      ends the sandbox as before.
 * It runs inside the sandbox as the sandbox uid, like the program it starts: nothing here is
 * privileged, and the only thing it can reach is what the sandbox could reach anyway (the bound
 * socket). The job-control signals a terminal sends (^C, ^Z, ^\) are ignored here and restored to
 * their defaults for PROGRAM.
 *
 * Usage: gateway-link PORT SOCKET -- PROGRAM [ARG]...   Built by ./build.sh next to sandbox-launch.
 * A failure before PROGRAM starts exits with 127 and a message on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAIL_PREFIX "gateway-link: "
#define FAIL_EXIT_CODE 127
#include "fail.h"

#include "forward.h"

static int child_pipe[2];
static pid_t child_pid;
static int child_status;

static void on_child(int signo) {
  (void)signo;
  int saved = errno;
  ssize_t ignored = write(child_pipe[1], "c", 1);
  (void)ignored;
  errno = saved;
}

static int connect_door(void *ctx) {
  const struct sockaddr_un *address = ctx;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (const struct sockaddr *)address, sizeof *address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

/* Drains the SIGCHLD pipe; once the program has ended, its exit status (also kept in child_status). */
static int program_ended(void *ctx) {
  (void)ctx;
  char drain[64];
  while (read(child_pipe[0], drain, sizeof drain) > 0) {
  }
  int status;
  if (waitpid(child_pid, &status, WNOHANG) != child_pid) return -1;
  child_status = exit_status(status);
  return child_status;
}

static const int job_signals[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP, SIGPIPE};

int main(int argc, char **argv) {
  errno = 0;
  if (argc < 5 || strcmp(argv[3], "--") != 0) die("usage: gateway-link PORT SOCKET -- PROGRAM [ARG]...");
  unsigned long long port = parse_number("PORT", argv[1]);
  if (port == 0 || port > 65535) die("PORT must be 1..65535");
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (strlen(argv[2]) >= sizeof address.sun_path) die("SOCKET path too long");
  strcpy(address.sun_path, argv[2]);
  char **program = &argv[4];
  if (program[0][0] != '/') die("PROGRAM must be an absolute path");

  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listener < 0) die("cannot create the loopback listener");
  int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(listener, (struct sockaddr *)&local, sizeof local) != 0) die("cannot listen on 127.0.0.1:%llu", port);
  if (listen(listener, 64) != 0) die("cannot listen");

  if (pipe2(child_pipe, O_CLOEXEC | O_NONBLOCK) != 0) die("cannot create a pipe");
  struct sigaction child_action = {.sa_handler = on_child, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
  sigemptyset(&child_action.sa_mask);
  if (sigaction(SIGCHLD, &child_action, NULL) != 0) die("cannot watch the program");

  pid_t pid = child_pid = fork();
  if (pid < 0) die("cannot fork");
  if (pid == 0) {
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, NULL);
    execv(program[0], program);
    die("cannot run %s", program[0]);
  }
  for (size_t i = 0; i < sizeof job_signals / sizeof job_signals[0]; i++) signal(job_signals[i], SIG_IGN);
  /* The program owns stdin and stdout; this process keeps stderr only. */
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    close(null_fd);
  }

  static struct forwarder forwarder;
  forwarder.listener = listener;
  forwarder.connect_fn = connect_door;
  forwarder.ctx = &address;
  forwarder.watch_fd = child_pipe[0];
  forwarder.on_watch = program_ended;
  if (program_ended(NULL) >= 0) return child_status;
  if (forward_run(&forwarder) < 0) die("poll failed");
  return child_status;
}
