/* tracer/print_internal.h: the printer's parts that are not the trace.h
 * contract: the -c summary (summary.c) and -k stacks (stack.c). */
#ifndef SPLITRUN_TRACER_PRINT_INTERNAL_H
#define SPLITRUN_TRACER_PRINT_INTERNAL_H

#include "tracer/print_buf.h"
#include "tracer/trace.h"

struct summary;
struct summary *summary_new(long max_nr);
void summary_free(struct summary *s);
void summary_add(struct summary *s, const struct trace_call *call);
/* Appends strace's -c table to B. */
void summary_print(struct summary *s, struct pbuf *b);

struct stacks;
struct stacks *stacks_new(void);
void stacks_free(struct stacks *st);
/* Appends " > /path/lib.so(func+0x1f) [0x1234]" lines for PID's stack. */
void stacks_print(struct stacks *st, pid_t pid, struct pbuf *b);
/* PID exited: drop its cached address space. */
void stacks_forget(struct stacks *st, pid_t pid);
/* PID's mappings may have changed (mmap, munmap, execve ...). */
void stacks_invalidate(struct stacks *st, pid_t pid);

#endif
