/* tracer/loop.h: the trap loop: backend events in, handler verdicts out. */
#ifndef SPLITRUN_TRACER_LOOP_H
#define SPLITRUN_TRACER_LOOP_H

#include "tracer/backend.h"
#include "tracer/handler.h"

/* Runs until no guest is left. Returns 0, or -1 on a backend error. */
int trap_loop_run(struct trap_backend *b, const struct trap_handler *h);

#endif
