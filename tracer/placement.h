/* tracer/placement.h: where splitrun and the guest run (--cpu-placement).
 *
 * A trapped call is a synchronous hand-off: the guest stops, splitrun
 * works (for a remote call, while the shadow works), the guest goes on.
 * When the two sides sit on different CPUs every hand-off is a cross-CPU
 * wake-up, which on a virtual machine whose other vCPU is idle can cost
 * far more than the call (docs/performance.md, "CPU placement"). This
 * module owns the choice: parsing the option, the default of each backend
 * (measured), and pinning splitrun before the guest starts, which the
 * guest and everything it starts inherit. It never changes the affinity
 * of a guest process: a guest that sets its own keeps what it set. The
 * user-notification backend's wake-up hint is applied by that backend
 * (unotify_backend_new's sync_wake_up). */
#ifndef SPLITRUN_TRACER_PLACEMENT_H
#define SPLITRUN_TRACER_PLACEMENT_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>

enum cpu_where {
	CPU_WHERE_AUTO, /* the measured default of the backend (cpu_placement_resolve) */
	CPU_WHERE_ANY,  /* the scheduler places everything; no hint */
	CPU_WHERE_SYNC, /* unotify: each wake-up on the waker's CPU; ptrace: as any */
	CPU_WHERE_SAME, /* splitrun and the guest on the CPU splitrun starts on */
	CPU_WHERE_LIST, /* splitrun and the guest on the CPUs of `cpus` */
};

struct cpu_placement {
	enum cpu_where where;
	cpu_set_t cpus;         /* CPU_WHERE_LIST */
};

/* Parses WHERE: auto, any, sync, same, or a CPU list ("0", "0,2-3"), whose
 * CPUs must all be ones splitrun may run on. Returns 0, or -1 with ERR
 * filled ("unknown placement 'x' ..."). */
int cpu_placement_parse(const char *text, struct cpu_placement *out, char *err, size_t errlen);

/* AUTO made concrete for a backend (unotify: user notification; else
 * ptrace). Other settings are returned as they are. */
enum cpu_where cpu_placement_resolve(enum cpu_where where, bool unotify);

/* Whether the user-notification backend is to ask for
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP under a resolved WHERE. */
bool cpu_placement_sync_wake_up(enum cpu_where where);

/* Pins splitrun for a resolved placement (SAME, LIST; nothing for the
 * others), before the guest is started. Returns 0, or -1 after printing
 * why (splitrun goes on where the scheduler puts it). */
int cpu_placement_pin(const struct cpu_placement *p, enum cpu_where resolved);

/* "0-1,3" for SET, into BUF. */
void cpu_placement_format(const cpu_set_t *set, char *buf, size_t len);

#endif
