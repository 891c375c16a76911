/*
 * cloexec-fds.h, shared by sandbox-launch.c and sandbox-exec.c: marks every descriptor from 3 up
 * close-on-exec except an explicit keep-list, so that the program exec'd next gets stdin, stdout,
 * stderr and only the descriptors it is meant to have, whatever this process inherited (a runner
 * started from a shell or a supervisor may itself hold descriptors that are not close-on-exec, and
 * those would otherwise reach every sandbox).
 *
 * close_range(2) with CLOSE_RANGE_CLOEXEC (Linux 5.11) does it in a few system calls; it is called
 * through syscall(2) so that it does not depend on the C library's version (glibc has the wrapper
 * from 2.34 only). Without it (older kernel or headers): every descriptor listed in /proc/self/fd,
 * or, without /proc, every number up to the hard RLIMIT_NOFILE (call this before lowering it).
 */
#ifndef SANDBOX_CLOEXEC_FDS_H
#define SANDBOX_CLOEXEC_FDS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<linux/close_range.h>)
#include <linux/close_range.h>
#endif
#endif

#define CLOEXEC_MAX_KEEP 16
#define CLOEXEC_FALLBACK_LIMIT (1u << 20) /* the kernel's default nr_open */

static int cloexec_fd_kept(int fd, const int *keep, int keep_count) {
  for (int k = 0; k < keep_count; k++)
    if (keep[k] == fd) return 1;
  return 0;
}

static int cloexec_one(int fd) {
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 || errno == EBADF) return 0;
  return -1;
}

/* close_range(first, last, CLOSE_RANGE_CLOEXEC); -1 with ENOSYS if this build cannot ask for it. */
static int cloexec_range(unsigned int first, unsigned int last) {
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
  return (int)syscall(SYS_close_range, first, last, CLOSE_RANGE_CLOEXEC);
#else
  (void)first;
  (void)last;
  errno = ENOSYS;
  return -1;
#endif
}

static int cloexec_by_listing(const int *keep, int keep_count) {
  DIR *dir = opendir("/proc/self/fd"); /* its own descriptor is close-on-exec already */
  if (dir != NULL) {
    struct dirent *entry;
    errno = 0;
    while ((entry = readdir(dir)) != NULL) {
      char *end;
      long fd = strtol(entry->d_name, &end, 10);
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9' || *end != '\0') continue;
      if (fd < 3 || fd == dirfd(dir) || cloexec_fd_kept((int)fd, keep, keep_count)) continue;
      if (cloexec_one((int)fd) != 0) {
        closedir(dir);
        return -1;
      }
      errno = 0;
    }
    int failed = errno != 0;
    closedir(dir);
    return failed ? -1 : 0;
  }
  struct rlimit limit;
  rlim_t last = CLOEXEC_FALLBACK_LIMIT;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_max != RLIM_INFINITY && limit.rlim_max < last)
    last = limit.rlim_max;
  for (rlim_t fd = 3; fd < last; fd++) {
    if (cloexec_fd_kept((int)fd, keep, keep_count)) continue;
    if (cloexec_one((int)fd) != 0) return -1;
  }
  return 0;
}

/*
 * Marks every descriptor >= 3 close-on-exec but those in keep[] (each >= 3, at most
 * CLOEXEC_MAX_KEEP), which are left exactly as they are. 0, or -1 with errno.
 */
static int cloexec_fds_except(const int *keep, int keep_count) {
  if (keep_count < 0 || keep_count > CLOEXEC_MAX_KEEP) {
    errno = EINVAL;
    return -1;
  }
  int sorted[CLOEXEC_MAX_KEEP];
  for (int k = 0; k < keep_count; k++) {
    int fd = keep[k], at = k;
    if (fd < 3) {
      errno = EINVAL;
      return -1;
    }
    for (; at > 0 && sorted[at - 1] > fd; at--) sorted[at] = sorted[at - 1];
    sorted[at] = fd;
  }
  /* The ranges between the kept descriptors, then everything above the last one. */
  unsigned int first = 3;
  int done = 1;
  for (int k = 0; k < keep_count && done; k++) {
    unsigned int fd = (unsigned int)sorted[k];
    if (fd > first && cloexec_range(first, fd - 1) != 0) done = 0;
    if (fd >= first) first = fd + 1;
  }
  if (done && cloexec_range(first, ~0U) == 0) return 0;
  /* ENOSYS: no close_range (kernel < 5.9, built without it); EINVAL: no CLOSE_RANGE_CLOEXEC (< 5.11);
   * EPERM: refused by a seccomp filter. */
  if (errno != ENOSYS && errno != EINVAL && errno != EPERM) return -1;
  return cloexec_by_listing(keep, keep_count);
}

#endif
