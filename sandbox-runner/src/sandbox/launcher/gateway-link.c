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

#define BUFFER_BYTES (64 * 1024)
#define MAX_PAIRS 128

/* One direction of a forwarded connection: bytes read from `from`, not yet written to `to`. */
struct half {
  char buf[BUFFER_BYTES];
  size_t len, off;
  int eof;
};

struct pair {
  int used;
  int client, upstream;
  struct half up;   /* client → upstream */
  struct half down; /* upstream → client */
};

static struct pair pairs[MAX_PAIRS];
static int max_pairs = MAX_PAIRS;
static int child_pipe[2];

static void on_child(int signo) {
  (void)signo;
  int saved = errno;
  ssize_t ignored = write(child_pipe[1], "c", 1);
  (void)ignored;
  errno = saved;
}

static void close_pair(struct pair *p) {
  close(p->client);
  close(p->upstream);
  p->used = 0;
}

static int connect_upstream(const struct sockaddr_un *address) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (const struct sockaddr *)address, sizeof *address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void accept_one(int listener, const struct sockaddr_un *address) {
  int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (client < 0) return;
  struct pair *slot = NULL;
  for (int i = 0; i < max_pairs && !slot; i++)
    if (!pairs[i].used) slot = &pairs[i];
  int upstream = slot ? connect_upstream(address) : -1;
  if (upstream < 0) {
    close(client);
    return;
  }
  memset(slot, 0, sizeof *slot);
  slot->used = 1;
  slot->client = client;
  slot->upstream = upstream;
}

/* Moves what it can in one direction; returns -1 when the pair must be closed. */
static int pump(struct half *h, int from, int to, int readable, int writable) {
  if (readable && h->len == 0 && !h->eof) {
    ssize_t n = recv(from, h->buf, sizeof h->buf, 0);
    if (n > 0) {
      h->len = (size_t)n;
      h->off = 0;
    } else if (n == 0) {
      h->eof = 1;
      shutdown(to, SHUT_WR);
    } else if (errno != EAGAIN && errno != EINTR) {
      return -1;
    }
  }
  if (writable && h->len > h->off) {
    ssize_t n = send(to, h->buf + h->off, h->len - h->off, MSG_NOSIGNAL);
    if (n > 0) {
      h->off += (size_t)n;
      if (h->off == h->len) h->len = h->off = 0;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return -1;
    }
  }
  return 0;
}

static int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
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

  /* Two descriptors per connection, within the run's RLIMIT_NOFILE. */
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < (rlim_t)(2 * MAX_PAIRS + 16))
    max_pairs = nofile.rlim_cur > 24 ? (int)(nofile.rlim_cur - 16) / 2 : 4;

  if (pipe2(child_pipe, O_CLOEXEC | O_NONBLOCK) != 0) die("cannot create a pipe");
  struct sigaction child_action = {.sa_handler = on_child, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
  sigemptyset(&child_action.sa_mask);
  if (sigaction(SIGCHLD, &child_action, NULL) != 0) die("cannot watch the program");

  pid_t pid = fork();
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

  struct pollfd fds[2 + 2 * MAX_PAIRS];
  int owner[2 + 2 * MAX_PAIRS];
  for (;;) {
    int status;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return exit_status(status);

    int n = 0;
    fds[n++] = (struct pollfd){.fd = child_pipe[0], .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = listener, .events = POLLIN};
    for (int i = 0; i < max_pairs; i++) {
      struct pair *p = &pairs[i];
      if (!p->used) continue;
      short client_events = (short)((p->up.len == 0 && !p->up.eof ? POLLIN : 0) | (p->down.len ? POLLOUT : 0));
      short upstream_events = (short)((p->down.len == 0 && !p->down.eof ? POLLIN : 0) | (p->up.len ? POLLOUT : 0));
      owner[n] = i;
      fds[n++] = (struct pollfd){.fd = p->client, .events = client_events};
      owner[n] = i;
      fds[n++] = (struct pollfd){.fd = p->upstream, .events = upstream_events};
    }
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll failed");
    }
    if (fds[0].revents) {
      char drain[64];
      while (read(child_pipe[0], drain, sizeof drain) > 0) {
      }
    }
    if (fds[1].revents & POLLIN) accept_one(listener, &address);
    for (int k = 2; k < n; k += 2) {
      struct pair *p = &pairs[owner[k]];
      short client = fds[k].revents, upstream = fds[k + 1].revents;
      if ((client | upstream) & POLLNVAL) {
        close_pair(p);
        continue;
      }
      int client_in = (client & (POLLIN | POLLHUP | POLLERR)) != 0;
      int upstream_in = (upstream & (POLLIN | POLLHUP | POLLERR)) != 0;
      if (pump(&p->up, p->client, p->upstream, client_in, (upstream & POLLOUT) != 0) < 0 ||
          pump(&p->down, p->upstream, p->client, upstream_in, (client & POLLOUT) != 0) < 0 ||
          (p->up.eof && p->down.eof && p->up.len == 0 && p->down.len == 0)) {
        close_pair(p);
      }
    }
  }
}
