/* shadow/resolve.h: confined path resolution. Owns the one way the shadow
 * turns a path into an open file: openat2() with RESOLVE_IN_ROOT (or
 * RESOLVE_BENEATH) and RESOLVE_NO_MAGICLINKS, and a by-hand walk with the
 * same rules for kernels or emulators without openat2 (qemu-user returns
 * ENOSYS). docs/shadow.md says where the walk is weaker than the kernel. */
#ifndef SPLITRUN_SHADOW_RESOLVE_H
#define SPLITRUN_SHADOW_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Opens path relative to dirfd like openat2(dirfd, path, {flags, mode,
 * resolve}). resolve must contain RESOLVE_IN_ROOT or RESOLVE_BENEATH (the
 * caller's confinement), may add RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV and
 * RESOLVE_CACHED, and always gets RESOLVE_NO_MAGICLINKS. Returns an fd or a
 * negative errno. Falls back to resolve_by_hand when openat2 is missing. */
int resolve_open(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve);

/* The by-hand walk alone (for tests that compare it with openat2). Same
 * contract as resolve_open. */
int resolve_by_hand(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve);

/* True when resolve_open uses the by-hand walk: openat2 was found missing,
 * or SPLITRUN_SHADOW_NO_OPENAT2=1 was set (tests run the whole suite through
 * the walk that way). */
bool resolve_uses_fallback(void);

#endif
