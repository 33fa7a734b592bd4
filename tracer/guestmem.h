/* tracer/guestmem.h: reading and writing a stopped guest's memory.
 * process_vm_readv/writev first (one copy, no stop-the-world), /proc/PID/mem
 * as the fallback (and the only way to write read-only pages). */
#ifndef SPLITRUN_TRACER_GUESTMEM_H
#define SPLITRUN_TRACER_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Copies LEN bytes at ADDR in PID into BUF. Returns bytes read (short only at
 * an unmapped page) or -1 with errno set. */
ssize_t guest_read(pid_t pid, uint64_t addr, void *buf, size_t len);

/* Reads a NUL-terminated string of at most MAX-1 bytes into BUF and
 * terminates it. Returns its length, MAX if it was longer than MAX-1 bytes
 * (BUF then holds the first MAX-1), or -1 with errno set. */
ssize_t guest_read_str(pid_t pid, uint64_t addr, char *buf, size_t max);

ssize_t guest_write(pid_t pid, uint64_t addr, const void *buf, size_t len);

#endif
