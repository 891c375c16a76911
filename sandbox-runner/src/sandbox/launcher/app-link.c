/*
 * app-link: the way in to an app a session runs in its sandbox (a dev server, an API). The app
 * listens on 127.0.0.1:PORT inside the sandbox's network namespace, which nothing outside can
 * reach. The runner starts this program, as root, with that namespace open on NETNS_FD (it checked
 * the namespace belongs to the app's sandbox). It
 *   1. listens on the Unix socket SOCKET (a host path in a directory only root can enter: only the
 *      runner connects),
 *   2. joins the sandbox's network namespace and drops to the session's uid/gid, with no groups,
 *      no capabilities and no_new_privs,
 *   3. forwards every connection on SOCKET to 127.0.0.1:PORT inside the sandbox, byte for byte
 *      (HTTP and WebSocket alike), until it is killed; it dies with the runner.
 * It refuses a namespace that is its own (the host's): a connection must never reach a host port.
 *
 * Usage: app-link NETNS_FD UID GID SOCKET PORT.   Built by ./build.sh next to sandbox-launch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define FAIL_PREFIX "app-link: "
#define FAIL_EXIT_CODE 127
#include "fail.h"
#include "forward.h"

static struct sockaddr_in app_address;

static int connect_app(void *ctx) {
  (void)ctx;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&app_address, sizeof app_address) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

int main(int argc, char **argv) {
  errno = 0;
  if (argc != 6) die("usage: app-link NETNS_FD UID GID SOCKET PORT");
  unsigned long long netns_fd = parse_number("NETNS_FD", argv[1]);
  unsigned long long uid = parse_number("UID", argv[2]);
  unsigned long long gid = parse_number("GID", argv[3]);
  const char *socket_path = argv[4];
  unsigned long long port = parse_number("PORT", argv[5]);
  if (netns_fd < 3 || netns_fd > 1024) die("NETNS_FD must be above 2");
  if (uid == 0 || gid == 0 || uid >= (1ull << 31) || gid >= (1ull << 31)) die("UID and GID must not be 0");
  if (port == 0 || port > 65535) die("PORT must be 1..65535");
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die("cannot follow the runner");
  if (getppid() == 1) die("the runner is gone");

  struct stat theirs, ours;
  if (fstat((int)netns_fd, &theirs) != 0 || stat("/proc/self/ns/net", &ours) != 0) die("cannot inspect the namespaces");
  if (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino) die("refusing the host's own network namespace");

  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (strlen(socket_path) >= sizeof address.sun_path) die("SOCKET path too long");
  strcpy(address.sun_path, socket_path);
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listener < 0) die("cannot create the socket");
  unlink(socket_path);
  mode_t old_mask = umask(0077);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) die("cannot bind %s", socket_path);
  umask(old_mask);
  if (listen(listener, 128) != 0) die("cannot listen");

  if (setns((int)netns_fd, CLONE_NEWNET) != 0) die("cannot join the sandbox's network namespace");
  close((int)netns_fd);
  if (setgroups(0, NULL) != 0) die("cannot drop supplementary groups");
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) die("cannot set gid");
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) die("cannot set uid");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("cannot set no_new_privs");
  signal(SIGPIPE, SIG_IGN);

  app_address = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                                     .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  static struct forwarder forwarder;
  forwarder.listener = listener;
  forwarder.connect_fn = connect_app;
  forwarder.watch_fd = -1;
  forward_run(&forwarder);
  die("poll failed");
}
