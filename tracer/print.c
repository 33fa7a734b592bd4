/* tracer/print.c: the trace printer (tracer/trace.h). Owns the per-thread
 * line state: a call's entry half is formatted into the line buffer and kept
 * there until its exit, so an uninterrupted call costs one write. When another
 * thread's line comes first, the held half is finished with
 * " <unfinished ...>" and the exit later starts with "<... NAME resumed>",
 * as strace does. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer/decode.h"
#include "tracer/print_internal.h"
#include "tracer/xlat.h"

/* strace aligns " = result" at this column. */
#define RESULT_COLUMN 40

struct proc {
	pid_t pid;
	bool live;
	bool in_call;      /* entry printed (or held), exit not yet */
	bool unfinished;   /* its held half was flushed with <unfinished ...> */
	int first_out;     /* first argument left for the exit half */
	int nargs;
	const struct call_decoder *dec;
	const char *name;  /* of the call in progress */
	uint64_t saved[2];
};

struct trace_printer {
	struct trace_options opts;
	bool to_file;
	struct pbuf line;
	pid_t held;                /* the thread whose entry half is in line, 0 if none */
	struct proc *procs;
	size_t nprocs_cap, nlive;
	struct proc *last;         /* lookup cache: most events come from one thread */
	const struct call_decoder **decoders;  /* by syscall number, lazily */
	bool *decoder_known;
	long max_nr;
	struct summary *summary;
	struct stacks *stacks;
};

static struct proc *proc_find(struct trace_printer *p, pid_t pid, bool create)
{
	if (p->last && p->last->pid == pid && p->last->live)
		return p->last;
	struct proc *free_slot = NULL;
	for (size_t i = 0; i < p->nprocs_cap; i++) {
		if (p->procs[i].live && p->procs[i].pid == pid)
			return p->last = &p->procs[i];
		if (!p->procs[i].live && !free_slot)
			free_slot = &p->procs[i];
	}
	if (!create)
		return NULL;
	if (!free_slot) {
		size_t cap = p->nprocs_cap ? p->nprocs_cap * 2 : 16;
		struct proc *np = realloc(p->procs, cap * sizeof *np);
		if (!np)
			return NULL;
		memset(np + p->nprocs_cap, 0, (cap - p->nprocs_cap) * sizeof *np);
		free_slot = np + p->nprocs_cap;
		p->procs = np;
		p->nprocs_cap = cap;
	}
	memset(free_slot, 0, sizeof *free_slot);
	free_slot->pid = pid;
	free_slot->live = true;
	p->nlive++;
	return p->last = free_slot;
}

static const struct call_decoder *decoder_of(struct trace_printer *p, const struct trace_call *call)
{
	if (call->nr < 0 || call->nr > p->max_nr)
		return decoder_for(call->desc->name);
	if (!p->decoder_known[call->nr]) {
		p->decoders[call->nr] = decoder_for(call->desc->name);
		p->decoder_known[call->nr] = true;
	}
	return p->decoders[call->nr];
}

struct trace_printer *trace_printer_new(const struct trace_options *opts)
{
	struct trace_printer *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->opts = *opts;
	if (!p->opts.out)
		p->opts.out = stderr;
	if (p->opts.string_limit < 0)
		p->opts.string_limit = 32;
	p->to_file = p->opts.out != stderr;
	if (p->to_file && !isatty(fileno(p->opts.out)))
		setvbuf(p->opts.out, NULL, _IOFBF, 1 << 16);
	p->max_nr = syscall_max_nr();
	p->decoders = calloc((size_t)p->max_nr + 1, sizeof *p->decoders);
	p->decoder_known = calloc((size_t)p->max_nr + 1, sizeof *p->decoder_known);
	pb_reserve(&p->line, 4096);
	if (!p->decoders || !p->decoder_known) {
		trace_printer_free(p);
		return NULL;
	}
	if (p->opts.summary_only)
		p->summary = summary_new(p->max_nr);
	if (p->opts.stack_traces)
		p->stacks = stacks_new();
	return p;
}

void trace_printer_free(struct trace_printer *p)
{
	if (!p)
		return;
	summary_free(p->summary);
	stacks_free(p->stacks);
	pb_free(&p->line);
	free(p->procs);
	free(p->decoders);
	free(p->decoder_known);
	free(p);
}

static void emit(struct trace_printer *p)
{
	fwrite(p->line.s, 1, p->line.len, p->opts.out);
	p->line.len = 0;
}

/* Before anything else is written: finish the held entry half of a thread
 * other than KEEP (0: of any thread) with " <unfinished ...>". */
static void release_held(struct trace_printer *p, pid_t keep)
{
	if (!p->held || p->held == keep)
		return;
	struct proc *h = proc_find(p, p->held, false);
	if (h)
		h->unfinished = true;
	pb_puts(&p->line, " <unfinished ...>\n");
	emit(p);
	p->held = 0;
}

static void prefix(struct trace_printer *p, pid_t pid)
{
	if (p->opts.follow_forks && p->to_file)
		pb_printf(&p->line, "%-5d ", (int)pid);
	else if (p->nlive > 1)
		pb_printf(&p->line, "[pid %5d] ", (int)pid);
}

static void finish_line(struct trace_printer *p, struct decode_ctx *ctx,
			const struct call_decoder *dec, size_t line_start)
{
	pb_puts(&p->line, ") ");
	pb_pad_to(&p->line, line_start, RESULT_COLUMN);
	decode_ret(ctx, dec);
	if (ctx->call->route) {
		pb_puts(&p->line, " [");
		pb_puts(&p->line, ctx->call->route);
		pb_putc(&p->line, ']');
	}
	pb_putc(&p->line, '\n');
}

void trace_enter(struct trace_printer *p, struct trace_call *call)
{
	call->printer_state = NULL;
	if (p->opts.summary_only)
		return;
	struct proc *pr = proc_find(p, call->pid, true);
	if (!pr)
		return;
	/* Any held half is finished first, even this thread's: its exit never came. */
	release_held(p, 0);
	const struct call_decoder *dec = decoder_of(p, call);
	struct decode_ctx ctx = { &p->line, call, p->opts.string_limit, p->opts.fd_paths, false, pr->saved };
	size_t start = p->line.len;
	prefix(p, call->pid);
	pb_puts(&p->line, call->desc->name);
	pb_putc(&p->line, '(');
	pr->dec = dec;
	pr->name = call->desc->name;
	pr->nargs = decode_nargs(dec, call);
	pr->first_out = decode_first_out(dec, call, pr->nargs);
	if (dec && dec->on_entry)
		dec->on_entry(&ctx);
	for (int i = 0; i < pr->first_out; i++) {
		if (i)
			pb_puts(&p->line, ", ");
		decode_arg(&ctx, dec, i);
	}
	if (pr->first_out > 0 && pr->first_out < pr->nargs && !(dec && dec->comma_at_exit))
		pb_puts(&p->line, ", ");
	pr->unfinished = false;
	call->printer_state = pr;
	if (call->desc->classes & SC_NEVER_RETURNS) {
		pb_puts(&p->line, ") ");
		pb_pad_to(&p->line, start, RESULT_COLUMN);
		pb_puts(&p->line, "= ?\n");
		emit(p);
		pr->in_call = false;
		return;
	}
	pr->in_call = true;
	p->held = call->pid;
}

void trace_exit(struct trace_printer *p, struct trace_call *call)
{
	if (p->summary) {
		summary_add(p->summary, call);
		return;
	}
	struct proc *pr = proc_find(p, call->pid, true);
	if (!pr || (!pr->in_call && (call->desc->classes & SC_NEVER_RETURNS)))
		return;
	const struct call_decoder *dec;
	size_t start;
	struct decode_ctx ctx = { &p->line, call, p->opts.string_limit, p->opts.fd_paths, true, pr->saved };
	bool entry_seen = pr->in_call;
	if (pr->in_call && p->held == call->pid) {
		dec = pr->dec;
		start = 0;
		p->held = 0;
	} else {
		release_held(p, call->pid);
		start = p->line.len;
		prefix(p, call->pid);
		dec = decoder_of(p, call);
		if (!pr->in_call) {
			/* No entry seen (e.g. the execve that started tracing): print it whole. */
			pr->nargs = decode_nargs(dec, call);
			pr->first_out = 0;
			if (dec && dec->on_entry)
				dec->on_entry(&ctx);
			pb_puts(&p->line, call->desc->name);
			pb_putc(&p->line, '(');
		} else {
			pb_puts(&p->line, "<... ");
			pb_puts(&p->line, call->desc->name);
			pb_puts(&p->line, " resumed>");
		}
	}
	if (entry_seen && dec && dec->exit_prefix)
		dec->exit_prefix(&ctx);
	for (int i = pr->first_out; i < pr->nargs; i++) {
		if (i > pr->first_out || (i > 0 && dec && dec->comma_at_exit))
			pb_puts(&p->line, ", ");
		decode_arg(&ctx, dec, i);
	}
	finish_line(p, &ctx, dec, start);
	pr->in_call = false;
	pr->unfinished = false;
	emit(p);
	if (p->stacks) {
		/* A new image makes every cached unwind table wrong: start over. */
		if (strncmp(call->desc->name, "execve", 6) == 0)
			stacks_forget(p->stacks, call->pid);
		else if (call->desc->classes & (SC_MEMORY | SC_PROCESS))
			stacks_invalidate(p->stacks, call->pid);
		stacks_print(p->stacks, call->pid, &p->line);
		emit(p);
	}
	call->printer_state = NULL;
}

void trace_exit_unknown(struct trace_printer *p, struct trace_call *call)
{
	struct proc *pr = proc_find(p, call->pid, false);
	if (p->opts.summary_only || !pr || !pr->in_call || p->held != call->pid)
		return;
	/* What the call fills is never seen: those arguments show as the
	 * numbers they are. */
	struct decode_ctx ctx = { &p->line, call, p->opts.string_limit, p->opts.fd_paths, false, pr->saved };
	for (int i = pr->first_out; i < pr->nargs; i++) {
		if (i > pr->first_out || (i > 0 && pr->dec && pr->dec->comma_at_exit))
			pb_puts(&p->line, ", ");
		enum arg_kind k = call->desc->arg[i];
		if (k == AK_OUTBUF || k == AK_STRUCT_OUT || k == AK_PTR || k == AK_HEX)
			pb_printf(&p->line, "%#llx", (unsigned long long)call->arg[i]);
		else
			decode_arg(&ctx, pr->dec, i);
	}
	pb_puts(&p->line, ") ");
	pb_pad_to(&p->line, 0, RESULT_COLUMN);
	pb_puts(&p->line, "= ?");
	if (call->route) {
		pb_puts(&p->line, " [");
		pb_puts(&p->line, call->route);
		pb_putc(&p->line, ']');
	}
	pb_putc(&p->line, '\n');
	emit(p);
	p->held = 0;
	pr->in_call = false;
	call->printer_state = NULL;
}

void trace_forget(struct trace_printer *p, struct trace_call *call)
{
	struct proc *pr = proc_find(p, call->pid, false);
	if (!pr || !pr->in_call || p->held != call->pid)
		return;
	p->line.len = 0;
	p->held = 0;
	pr->in_call = false;
	call->printer_state = NULL;
}

void trace_signal(struct trace_printer *p, pid_t pid, const siginfo_t *si)
{
	if (p->opts.summary_only)
		return;
	proc_find(p, pid, true);
	release_held(p, 0);
	prefix(p, pid);
	pb_puts(&p->line, "--- ");
	xlat_print_signal(&p->line, (uint64_t)si->si_signo);
	pb_putc(&p->line, ' ');
	print_siginfo(&p->line, si);
	pb_puts(&p->line, " ---\n");
	emit(p);
}

void trace_process_new(struct trace_printer *p, pid_t pid)
{
	proc_find(p, pid, true);
}

void trace_process_exit(struct trace_printer *p, pid_t pid, int wait_status)
{
	struct proc *pr = proc_find(p, pid, false);
	if (!p->opts.summary_only) {
		if (pr && pr->in_call) {
			size_t start = 0;
			if (p->held == pid) {
				/* strace: "read(3,  <unfinished ...>) = ?" */
				pb_puts(&p->line, " <unfinished ...>");
				p->held = 0;
			} else {
				release_held(p, pid);
				start = p->line.len;
				prefix(p, pid);
				pb_puts(&p->line, "<... ");
				pb_puts(&p->line, pr->name);
				pb_puts(&p->line, " resumed>");
			}
			pb_puts(&p->line, ") ");
			pb_pad_to(&p->line, start, RESULT_COLUMN);
			pb_puts(&p->line, "= ?\n");
			emit(p);
		} else {
			release_held(p, pid);
		}
		prefix(p, pid);
		if (WIFEXITED(wait_status))
			pb_printf(&p->line, "+++ exited with %d +++\n", WEXITSTATUS(wait_status));
		else if (WIFSIGNALED(wait_status)) {
			pb_puts(&p->line, "+++ killed by ");
			xlat_print_signal(&p->line, (uint64_t)WTERMSIG(wait_status));
			pb_puts(&p->line, WCOREDUMP(wait_status) ? " (core dumped) +++\n" : " +++\n");
		}
		else
			p->line.len = 0;
		emit(p);
	}
	if (pr) {
		pr->live = false;
		p->nlive--;
		if (p->last == pr)
			p->last = NULL;
	}
	if (p->stacks)
		stacks_forget(p->stacks, pid);
}

void trace_finish(struct trace_printer *p)
{
	if (p->held) {
		pb_puts(&p->line, " <unfinished ...>\n");
		emit(p);
		p->held = 0;
	}
	if (p->summary) {
		summary_print(p->summary, &p->line);
		emit(p);
	}
	fflush(p->opts.out);
}
