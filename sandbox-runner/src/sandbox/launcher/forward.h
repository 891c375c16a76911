/*
 * forward.h, shared by gateway-link.c and app-link.c: a single-threaded forwarder. It accepts
 * connections on a listening socket, opens a connection elsewhere for each (the caller's
 * connect_fn) and copies bytes both ways, half-closes included, through fixed buffers (64 KiB per
 * direction, at most FORWARD_MAX_PAIRS connections, fewer if RLIMIT_NOFILE is low). A connection
 * that cannot be paired (no slot, the other side refuses) is closed at once.
 */
#ifndef SANDBOX_FORWARD_H
#define SANDBOX_FORWARD_H

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define FORWARD_BUFFER_BYTES (64 * 1024)
#define FORWARD_MAX_PAIRS 128

/* One direction of a forwarded connection: bytes read from `from`, not yet written to `to`. */
struct forward_half {
  char buf[FORWARD_BUFFER_BYTES];
  size_t len, off;
  int eof;
};

struct forward_pair {
  int used;
  int client, upstream;
  struct forward_half up;   /* client → upstream */
  struct forward_half down; /* upstream → client */
};

struct forwarder {
  int listener;
  /* Opens the other side of a new connection (non-blocking), or returns -1. */
  int (*connect_fn)(void *ctx);
  void *ctx;
  /* Polled too; when readable, on_watch runs and the loop ends if it returns >= 0 (its result). */
  int watch_fd;
  int (*on_watch)(void *ctx);
  int max_pairs;
  struct forward_pair pairs[FORWARD_MAX_PAIRS];
};

static void forward_close_pair(struct forward_pair *p) {
  close(p->client);
  close(p->upstream);
  p->used = 0;
}

static void forward_accept(struct forwarder *f) {
  int client = accept4(f->listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (client < 0) return;
  struct forward_pair *slot = NULL;
  for (int i = 0; i < f->max_pairs && !slot; i++)
    if (!f->pairs[i].used) slot = &f->pairs[i];
  int upstream = slot ? f->connect_fn(f->ctx) : -1;
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
static int forward_pump(struct forward_half *h, int from, int to, int readable, int writable) {
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

/* Two descriptors per connection, within RLIMIT_NOFILE. */
static int forward_pair_budget(void) {
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur >= (rlim_t)(2 * FORWARD_MAX_PAIRS + 16))
    return FORWARD_MAX_PAIRS;
  return nofile.rlim_cur > 24 ? (int)(nofile.rlim_cur - 16) / 2 : 4;
}

/* Forwards until on_watch returns >= 0; returns that, or -1 if poll fails. */
static int forward_run(struct forwarder *f) {
  static struct pollfd fds[2 + 2 * FORWARD_MAX_PAIRS];
  static int owner[2 + 2 * FORWARD_MAX_PAIRS];
  if (f->max_pairs <= 0 || f->max_pairs > FORWARD_MAX_PAIRS) f->max_pairs = forward_pair_budget();
  for (;;) {
    int n = 0;
    fds[n++] = (struct pollfd){.fd = f->watch_fd, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = f->listener, .events = POLLIN};
    for (int i = 0; i < f->max_pairs; i++) {
      struct forward_pair *p = &f->pairs[i];
      if (!p->used) continue;
      owner[n] = i;
      fds[n++] = (struct pollfd){
          .fd = p->client,
          .events = (short)((p->up.len == 0 && !p->up.eof ? POLLIN : 0) | (p->down.len ? POLLOUT : 0))};
      owner[n] = i;
      fds[n++] = (struct pollfd){
          .fd = p->upstream,
          .events = (short)((p->down.len == 0 && !p->down.eof ? POLLIN : 0) | (p->up.len ? POLLOUT : 0))};
    }
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (fds[0].revents && f->on_watch) {
      int result = f->on_watch(f->ctx);
      if (result >= 0) return result;
    }
    if (fds[1].revents & POLLIN) forward_accept(f);
    for (int k = 2; k < n; k += 2) {
      struct forward_pair *p = &f->pairs[owner[k]];
      short client = fds[k].revents, upstream = fds[k + 1].revents;
      if ((client | upstream) & POLLNVAL) {
        forward_close_pair(p);
        continue;
      }
      int client_in = (client & (POLLIN | POLLHUP | POLLERR)) != 0;
      int upstream_in = (upstream & (POLLIN | POLLHUP | POLLERR)) != 0;
      if (forward_pump(&p->up, p->client, p->upstream, client_in, (upstream & POLLOUT) != 0) < 0 ||
          forward_pump(&p->down, p->upstream, p->client, upstream_in, (client & POLLOUT) != 0) < 0 ||
          (p->up.eof && p->down.eof && p->up.len == 0 && p->down.len == 0)) {
        forward_close_pair(p);
      }
    }
  }
}

#endif
