/*
 * fail.h, shared by sandbox-launch.c and sandbox-exec.c: die() prints "<FAIL_PREFIX>message[: errno
 * text]" to stderr and exits with FAIL_EXIT_CODE; parse_number() reads a decimal option value or
 * dies. Define FAIL_PREFIX and FAIL_EXIT_CODE before including it.
 */
#ifndef SANDBOX_FAIL_H
#define SANDBOX_FAIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *format, ...) {
  va_list ap;
  int saved = errno;
  fputs(FAIL_PREFIX, stderr);
  va_start(ap, format);
  vfprintf(stderr, format, ap);
  va_end(ap);
  if (saved) fprintf(stderr, ": %s", strerror(saved));
  fputc('\n', stderr);
  _exit(FAIL_EXIT_CODE);
}

static unsigned long long parse_number(const char *option, const char *text) {
  char *end;
  errno = 0;
  if (text == NULL || *text < '0' || *text > '9') die("%s needs a number", option);
  unsigned long long value = strtoull(text, &end, 10);
  if (errno || *end != '\0') {
    errno = 0;
    die("%s: bad number \"%s\"", option, text);
  }
  return value;
}

#endif
