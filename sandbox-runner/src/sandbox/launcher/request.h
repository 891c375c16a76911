/*
 * request.h, shared by sandbox-launch.c (warm mode) and sandbox-exec.c: reads a run's request, a
 * list of NUL-terminated strings written by the runner, from a pipe until EOF. An empty request
 * means the runner let this process go unused: it exits with UNUSED_EXIT_CODE, quietly. Include
 * after fail.h (it uses die()); define UNUSED_EXIT_CODE first.
 */
#ifndef SANDBOX_REQUEST_H
#define SANDBOX_REQUEST_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_REQUEST_BYTES (4 * 1024 * 1024)
#define MAX_REQUEST_ARGS 65536

/*
 * Returns the strings as a NULL-terminated array that starts with `leading` empty slots for the
 * caller to fill (e.g. an argv[0]); *count is `leading` plus the number of strings.
 */
static char **read_request(int fd, int leading, int *count) {
  size_t capacity = 64 * 1024, length = 0;
  char *buffer = malloc(capacity);
  if (buffer == NULL) die("out of memory");
  for (;;) {
    if (length == capacity) {
      errno = 0;
      if (capacity >= MAX_REQUEST_BYTES) die("request too large");
      capacity *= 2;
      buffer = realloc(buffer, capacity);
      if (buffer == NULL) die("out of memory");
    }
    ssize_t got = read(fd, buffer + length, capacity - length);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) die("cannot read the request");
    if (got == 0) break;
    length += (size_t)got;
  }
  errno = 0;
  if (length == 0) _exit(UNUSED_EXIT_CODE);
  if (buffer[length - 1] != '\0') die("malformed request");
  int n = 0;
  for (size_t k = 0; k < length; k++) n += buffer[k] == '\0';
  if (n > MAX_REQUEST_ARGS) die("request has too many arguments");
  char **args = calloc((size_t)(leading + n) + 1, sizeof *args);
  if (args == NULL) die("out of memory");
  char *cursor = buffer;
  for (int k = leading; k < leading + n; k++) {
    args[k] = cursor;
    cursor += strlen(cursor) + 1;
  }
  *count = leading + n;
  return args;
}

#endif
