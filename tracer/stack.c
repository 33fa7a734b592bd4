/* tracer/stack.c: -k, a stack trace after each traced call, unwound from the
 * stopped thread with libunwind-ptrace, in strace's format:
 *   " > /usr/lib/x86_64-linux-gnu/libc.so.6(__open64+0x5b) [0xf9a4b]"
 * The bracketed number is the offset in the mapped file. Each process keeps
 * its libunwind address space and its parsed /proc/PID/maps; both are
 * dropped when a call may have changed the mappings. */
#include <libunwind-ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/print_internal.h"

#define MAX_FRAMES 256

struct mapping {
	uint64_t start, end, offset;
	char *path;
};

struct stack_proc {
	pid_t pid;
	unw_addr_space_t as;
	void *upt;
	struct mapping *maps;
	size_t nmaps;
	bool maps_valid;
};

struct stacks {
	struct stack_proc *procs;
	size_t n, cap;
};

struct stacks *stacks_new(void)
{
	return calloc(1, sizeof(struct stacks));
}

static void maps_clear(struct stack_proc *sp)
{
	for (size_t i = 0; i < sp->nmaps; i++)
		free(sp->maps[i].path);
	free(sp->maps);
	sp->maps = NULL;
	sp->nmaps = 0;
	sp->maps_valid = false;
}

static void proc_release(struct stack_proc *sp)
{
	if (sp->upt)
		_UPT_destroy(sp->upt);
	if (sp->as)
		unw_destroy_addr_space(sp->as);
	maps_clear(sp);
	memset(sp, 0, sizeof *sp);
}

void stacks_free(struct stacks *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		if (st->procs[i].pid)
			proc_release(&st->procs[i]);
	free(st->procs);
	free(st);
}

void stacks_forget(struct stacks *st, pid_t pid)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		if (st->procs[i].pid == pid)
			proc_release(&st->procs[i]);
}

void stacks_invalidate(struct stacks *st, pid_t pid)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		if (st->procs[i].pid == pid) {
			if (st->procs[i].as)
				unw_flush_cache(st->procs[i].as, 0, 0);
			maps_clear(&st->procs[i]);
		}
}

static struct stack_proc *proc_get(struct stacks *st, pid_t pid)
{
	struct stack_proc *free_slot = NULL;
	for (size_t i = 0; i < st->n; i++) {
		if (st->procs[i].pid == pid)
			return &st->procs[i];
		if (!st->procs[i].pid && !free_slot)
			free_slot = &st->procs[i];
	}
	if (!free_slot) {
		if (st->n == st->cap) {
			size_t cap = st->cap ? st->cap * 2 : 8;
			struct stack_proc *np = realloc(st->procs, cap * sizeof *np);
			if (!np)
				return NULL;
			st->procs = np;
			st->cap = cap;
		}
		free_slot = &st->procs[st->n++];
	}
	memset(free_slot, 0, sizeof *free_slot);
	free_slot->as = unw_create_addr_space(&_UPT_accessors, 0);
	free_slot->upt = _UPT_create(pid);
	if (!free_slot->as || !free_slot->upt) {
		proc_release(free_slot);
		return NULL;
	}
	unw_set_caching_policy(free_slot->as, UNW_CACHE_GLOBAL);
	free_slot->pid = pid;
	return free_slot;
}

static void maps_load(struct stack_proc *sp)
{
	char name[64], line[4096];
	snprintf(name, sizeof name, "/proc/%d/maps", (int)sp->pid);
	FILE *f = fopen(name, "re");
	sp->maps_valid = true;
	if (!f)
		return;
	size_t cap = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long start, end, offset;
		char perms[8];
		int path_at = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &offset, &path_at) < 4)
			continue;
		if (perms[2] != 'x' || !path_at || line[path_at] != '/')
			continue;
		line[strcspn(line, "\n")] = 0;
		if (sp->nmaps == cap) {
			cap = cap ? cap * 2 : 32;
			struct mapping *nm = realloc(sp->maps, cap * sizeof *nm);
			if (!nm)
				break;
			sp->maps = nm;
		}
		sp->maps[sp->nmaps++] = (struct mapping){ start, end, offset, strdup(line + path_at) };
	}
	fclose(f);
}

static const struct mapping *map_of(struct stack_proc *sp, uint64_t ip)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!sp->maps_valid)
			maps_load(sp);
		for (size_t i = 0; i < sp->nmaps; i++)
			if (ip >= sp->maps[i].start && ip < sp->maps[i].end)
				return &sp->maps[i];
		if (attempt == 0)
			maps_clear(sp);
	}
	return NULL;
}

void stacks_print(struct stacks *st, pid_t pid, struct pbuf *b)
{
	if (!st)
		return;
	struct stack_proc *sp = proc_get(st, pid);
	if (!sp)
		return;
	unw_cursor_t cursor;
	if (unw_init_remote(&cursor, sp->as, sp->upt) < 0) {
		pb_puts(b, " > backtracing_error\n");
		return;
	}
	for (int depth = 0; depth < MAX_FRAMES; depth++) {
		unw_word_t ip = 0, off = 0;
		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		char sym[256];
		bool have_sym = unw_get_proc_name(&cursor, sym, sizeof sym, &off) == 0 && sym[0];
		const struct mapping *m = map_of(sp, ip);
		if (m) {
			uint64_t file_off = ip - m->start + m->offset;
			if (have_sym)
				pb_printf(b, " > %s(%s+%#llx) [%#llx]\n", m->path, sym,
					  (unsigned long long)off, (unsigned long long)file_off);
			else
				pb_printf(b, " > %s() [%#llx]\n", m->path, (unsigned long long)file_off);
		} else {
			pb_printf(b, " > unexpected_backtracing_error [%#llx]\n", (unsigned long long)ip);
		}
		if (unw_step(&cursor) <= 0)
			break;
	}
}
