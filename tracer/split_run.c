/* tracer/split_run.c: implements tracer/split_run.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/syscall.h"
#include "policy/exec.h"
#include "policy/policy.h"
#include "policy/remote.h"
#include "rpc/addr.h"
#include "rpc/auth.h"
#include "rpc/client.h"
#include "rpc/wire.h"
#include "tracer/backend.h"
#include "tracer/filter.h"
#include "tracer/guestmem.h"
#include "tracer/launch.h"
#include "tracer/loop.h"
#include "tracer/split_handler.h"
#include "tracer/split_run.h"

struct split_state {
	struct exec *exec;
	const struct split_opts *opts;
	struct trap_backend *backend;
};

static noreturn void on_fatal(void *ctx, const char *why)
{
	struct split_state *st = ctx;
	trace_finish(st->opts->printer);
	fflush(NULL);
	fprintf(stderr, "splitrun: %s; the program was stopped\n", why);
	/* Every guest process dies before the call that found the shadow gone
	 * can return: under ptrace by leaving (PTRACE_O_EXITKILL), else here. */
	if (st->backend->ops->kill_all)
		st->backend->ops->kill_all(st->backend);
	struct exec_stats stats;
	exec_free(st->exec, &stats);
	if (st->opts->stats)
		split_stats_print(st->opts->stats_out ? st->opts->stats_out : stderr, st->opts->stats, &stats);
	exit(SPLITRUN_EXIT_SHADOW_LOST);
}

static void on_fatal_hook(void *ctx, const char *why)
{
	on_fatal(ctx, why);
}

static noreturn void bad_input(const char *fmt, const char *a, const char *b)
{
	fputs("splitrun: ", stderr);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(SPLITRUN_EXIT_BAD_INPUT);
}

/* How the shadow is dialed: its address, and the key (kept for the run
 * only when it may be dialed again, --on-disconnect=reconnect). */
struct dial {
	const char *addr;
	struct rpc_key key;
	bool have_key;
	unsigned long signals;   /* launch_signals_received() at the first try */
};

static const char *dial_error(const struct rpc_conn *conn, int rc)
{
	return conn->why[0] ? conn->why
	       : rc == -EPROTONOSUPPORT ? "it speaks no protocol version this splitrun knows"
	       : rc == -ECONNRESET ? "it closed the connection during the handshake"
	       : rc == -EPROTO || rc == -E2BIG ? "its handshake is malformed (is it a splitrun-shadow?)"
	       : rpc_addr_strerror(rc);
}

static int connect_shadow(struct rpc_conn *conn, struct dial *d, const char *key_file, bool keep_key)
{
	struct rpc_identity id = { 0 };
	if (key_file) {
		char err[512];
		if (rpc_crypto_init())
			bad_input("--key %s: libsodium cannot start (no entropy source?)%s", key_file, "");
		if (rpc_key_load(key_file, &d->key, err, sizeof err))
			bad_input("--key %s: %s", key_file, err);
		id.key = &d->key;
		d->have_key = true;
	}
	int rc = rpc_connect_as(conn, d->addr, &id);
	if (d->have_key && !keep_key) {
		rpc_key_wipe(&d->key);
		d->have_key = false;
	}
	if (rc == 0)
		return 0;
	if (rc == -EINVAL && !conn->why[0])
		bad_input("--shadow %s: not HOST:PORT (a host name, a numeric IPv4 address or an [IPv6] address, and a port)%s",
			  d->addr, "");
	fprintf(stderr, "splitrun: cannot use the shadow at %s: %s\n", d->addr, dial_error(conn, rc));
	exit(SPLITRUN_EXIT_NO_SHADOW);
}

/* exec_redial_fn: a new session, authenticated as the first. A signal
 * that splitrun forwards (^C, kill) ends the tries: whoever sent it does
 * not want to wait for the shadow. */
static int redial_shadow(void *ctx, struct rpc_conn *fresh, int timeout_ms, bool first, char *why, size_t size)
{
	struct dial *d = ctx;
	if (first)
		d->signals = launch_signals_received();
	else if (launch_signals_received() != d->signals) {
		snprintf(why, size, "splitrun received a signal meanwhile");
		return -EINTR;
	}
	struct rpc_identity id = { .key = d->have_key ? &d->key : NULL };
	int rc = rpc_connect_within(fresh, d->addr, &id, timeout_ms);
	if (rc)
		snprintf(why, size, "%s: %s", d->addr, dial_error(fresh, rc));
	return rc;
}

/* The first process's cwd: splitrun's, or -C DIR, which may be remote (it
 * is then virtual, and the guest's kernel cwd is the executive's run
 * directory, exec_kernel_cwd). */
static bool initial_cwd(const struct split_opts *o, const struct policy *pol, struct remote *r, char *out,
			size_t size)
{
	char here[PATH_MAX];
	if (!getcwd(here, sizeof here)) {
		fprintf(stderr, "splitrun: cannot tell the current directory: %s\n", strerror(errno));
		exit(1);
	}
	if (!o->cwd) {
		snprintf(out, size, "%s", here);
		return false;
	}
	char joined[2 * PATH_MAX + 2];
	snprintf(joined, sizeof joined, "%s%s%s", o->cwd[0] == '/' ? "" : here, o->cwd[0] == '/' ? "" : "/", o->cwd);
	if (policy_normalize(joined, out, size) < 0)
		bad_input("-C %s: %s", o->cwd, strerror(ENAMETOOLONG));
	struct policy_route route;
	char shadow[PATH_MAX];
	if (policy_route_path(pol, out, &route, shadow, sizeof shadow) < 0)
		bad_input("-C %s: %s", o->cwd, strerror(ENAMETOOLONG));
	if (route.method == POLICY_DENY)
		bad_input("-C %s: %s (the policy denies it)", o->cwd, strerror(route.deny_errno));
	if (route.method == POLICY_LOCAL) {
		if (chdir(out) < 0 || !getcwd(out, size))
			bad_input("-C %s: %s", o->cwd, strerror(errno));
		return false;
	}
	struct stat st;
	int64_t rc = remote_stat(r, RPC_HANDLE_CWD, shadow, 0, &st);
	if (rc == 0 && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	if (rc < 0)
		bad_input("-C %s: %s (at the shadow)", o->cwd, strerror((int)-rc));
	return true;
}

/* The program to exec: a name is looked up in PATH here; a path that
 * routes remote is left to the executive (the guest's execve stages it). */
static char *program_path(const char *prog, const char *cwd, const struct policy *pol, int *exit_code, bool *remote)
{
	*remote = false;
	if (!strchr(prog, '/'))
		return launch_resolve(prog, exit_code);
	char joined[2 * PATH_MAX + 2], abs[PATH_MAX];
	snprintf(joined, sizeof joined, "%s%s%s", prog[0] == '/' ? "" : cwd, prog[0] == '/' ? "" : "/", prog);
	struct policy_route route;
	char shadow[PATH_MAX];
	if (policy_normalize(joined, abs, sizeof abs) == 0 &&
	    policy_route_path(pol, abs, &route, shadow, sizeof shadow) == 0 &&
	    (route.method == POLICY_REMOTE || route.method == POLICY_STAGE)) {
		*remote = true;
		return strdup(prog);
	}
	return launch_resolve(prog, exit_code);
}

static struct filter_rule *filter_rules(const struct policy *pol, unsigned caps, int fd_base, const bool *traced_too)
{
	long max = syscall_max_nr();
	struct exec_filter_rule *ex = calloc((size_t)max + 1, sizeof *ex);
	struct filter_rule *rules = calloc((size_t)max + 1, sizeof *rules);
	if (!ex || !rules) {
		free(ex);
		free(rules);
		return NULL;
	}
	exec_filter_rules(pol, caps, fd_base, ex);
	for (long nr = 0; nr <= max; nr++) {
		rules[nr] = (struct filter_rule){
			.action = ex[nr].action == EXEC_FILTER_TRAP ? FILTER_TRACE
				: ex[nr].action == EXEC_FILTER_ERRNO ? FILTER_ERRNO : FILTER_ALLOW,
			.err = ex[nr].err,
			.fd_args = ex[nr].fd_args,
			.fd_below = ex[nr].fd_below,
			.anon_ok = ex[nr].anon_ok,
		};
		if (traced_too && traced_too[nr] && rules[nr].action != FILTER_ERRNO) {
			/* Shown by --trace: trapped whatever its fds. */
			rules[nr].action = FILTER_TRACE;
			rules[nr].fd_args = 0;
		}
	}
	free(ex);
	return rules;
}

static unsigned long remote_ops(const struct rpc_stats *r)
{
	unsigned long n = 0;
	for (int op = 1; op < RPC_OP_MAX; op++)
		if (op != RPC_OP_HELLO && op != RPC_OP_COMPOUND)
			n += r->ops[op];
	return n;
}

void split_stats_print(FILE *out, enum split_stats how, const struct exec_stats *s)
{
	unsigned long total = 0;
	for (int r = 0; r < ROUTE_COUNT; r++)
		total += s->calls[r];
	const struct rpc_stats *r = &s->rpc;
	double wait = (double)r->wait_ns / 1e9;
	if (how == SPLIT_STATS_JSON) {
		fprintf(out, "{\"calls\":{\"total\":%lu", total);
		for (int k = 0; k < ROUTE_COUNT; k++)
			fprintf(out, ",\"%s\":%lu", exec_route_name((enum exec_route)k), s->calls[k]);
		fprintf(out, "},\"remote_ops\":%lu,\"ops\":{", remote_ops(r));
		const char *sep = "";
		for (int op = 1; op < RPC_OP_MAX; op++)
			if (r->ops[op] && op != RPC_OP_HELLO && op != RPC_OP_COMPOUND) {
				fprintf(out, "%s\"%s\":%lu", sep, rpc_op_name(op), r->ops[op]);
				sep = ",";
			}
		fprintf(out,
			"},\"requests\":%lu,\"compounds\":%lu,\"round_trips\":%lu,\"bytes_sent\":%llu,"
			"\"bytes_received\":%llu,\"wait_seconds\":%.6f,\"cache_hits\":%lu,\"cache_misses\":%lu,"
			"\"files_staged\":%lu,\"written_back\":%lu,\"lost_writes\":%lu,\"reconnects\":%lu,"
			"\"reopened\":%lu,\"not_reopened\":%lu}\n",
			r->requests, r->ops[RPC_OP_COMPOUND], r->round_trips, (unsigned long long)r->bytes_sent,
			(unsigned long long)r->bytes_received, wait, s->cache_hits, s->cache_misses, s->staged_files,
			s->written_back, s->unreported, s->reconnects, s->reopened, s->not_reopened);
	} else {
		fprintf(out,
			"splitrun: %lu calls trapped: %lu local, %lu remote, %lu staged, %lu denied, %lu refused; "
			"%lu round trips to the shadow; %lu files staged, %lu written back\n",
			total, s->calls[ROUTE_LOCAL], s->calls[ROUTE_REMOTE], s->calls[ROUTE_STAGE],
			s->calls[ROUTE_DENY], s->calls[ROUTE_REFUSED], r->round_trips, s->staged_files, s->written_back);
		fprintf(out,
			"splitrun: %lu remote ops in %lu requests (%lu compounds), %lu round trips; %llu bytes sent, "
			"%llu received; %.3f s waiting for the shadow; %lu stat-like calls answered here, %lu asked\n",
			remote_ops(r), r->requests, r->ops[RPC_OP_COMPOUND], r->round_trips,
			(unsigned long long)r->bytes_sent, (unsigned long long)r->bytes_received, wait, s->cache_hits,
			s->cache_misses);
		fprintf(out, "splitrun: ops:");
		const char *sep = " ";
		for (int op = 1; op < RPC_OP_MAX; op++)
			if (r->ops[op] && op != RPC_OP_COMPOUND) {
				fprintf(out, "%s%s %lu", sep, rpc_op_name(op), r->ops[op]);
				sep = ", ";
			}
		fputc('\n', out);
	}
	fflush(out);
}

/* Where a backend that chooses the number puts the guest's remote fds: a
 * power of two above what most programs use, under the guest's fd limit
 * (inherited from splitrun; it is below select()'s FD_SETSIZE, 1024, for
 * the usual soft limit of 1024). 0: too low a limit, remote fds go
 * anywhere (and every fd call traps). */
static int remote_fd_base(void)
{
	struct rlimit rl;
	rlim_t limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
	int base = 512;
	while (base >= 64 && (rlim_t)base * 2 > limit)
		base /= 2;
	return base >= 64 ? base : 0;
}

/* Placeholders are fds of splitrun's own, one per open remote file. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static const struct exec_guest_mem guest_memory = {
	.read = guest_read,
	.write = guest_write,
	.read_str = guest_read_str,
	.peek = guest_read,
};

/* Under a backend whose threads can vanish while their call is handled
 * (user notification), what was read of a thread's memory is only
 * trusted if the thread still waits in that call afterwards: its id was
 * not reused meanwhile (seccomp_unotify(2), SECCOMP_IOCTL_NOTIF_ID_VALID). */
static struct trap_backend *checked_backend;

static ssize_t checked(pid_t tid, ssize_t n)
{
	if (n >= 0 && !checked_backend->ops->still_waiting(checked_backend, tid)) {
		errno = ESRCH;
		return -1;
	}
	return n;
}

static ssize_t checked_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	return checked(tid, guest_read(tid, addr, buf, len));
}

static ssize_t checked_read_str(pid_t tid, uint64_t addr, char *buf, size_t max)
{
	return checked(tid, guest_read_str(tid, addr, buf, max));
}

static int backend_addfd(pid_t tid, int fd, int flags)
{
	return checked_backend->ops->addfd(checked_backend, tid, fd, flags);
}

static const struct exec_guest_mem checked_memory = {
	.read = checked_read,
	.write = guest_write,
	.read_str = checked_read_str,
	.peek = guest_read,
};

static const struct exec_guest_mem checked_memory_addfd = {
	.read = checked_read,
	.write = guest_write,
	.read_str = checked_read_str,
	.addfd = backend_addfd,
	.peek = guest_read,
};

/* The backend: the one asked for, or (auto) user notification unless the
 * run needs what only ptrace can do or this kernel lacks it. */
static struct trap_backend *pick_backend(const struct split_opts *o, const struct policy *pol, bool first_remote)
{
	unsigned unotify_caps = split_exec_caps(TRAP_CAP_ADDFD | TRAP_CAP_DEFER);
	const char *why = exec_cannot_run(pol, unotify_caps, first_remote);
	switch (o->backend) {
	case SPLIT_BACKEND_PTRACE:
		return ptrace_backend_new();
	case SPLIT_BACKEND_UNOTIFY:
		if (why)
			bad_input("--backend=unotify: %s%s", why, "");
		return unotify_backend_new(cpu_placement_sync_wake_up(cpu_placement_resolve(o->placement.where, true)));
	case SPLIT_BACKEND_AUTO:
		break;
	}
	/* --trace shows what calls return, which user notification cannot
	 * tell of the calls it lets run. */
	if (why || o->trace || !unotify_available())
		return ptrace_backend_new();
	return unotify_backend_new(cpu_placement_sync_wake_up(cpu_placement_resolve(o->placement.where, true)));
}

int split_run(const struct split_opts *o)
{
	struct policy *pol = policy_load(o->policy_file, stderr);
	if (!pol)
		exit(SPLITRUN_EXIT_BAD_INPUT);
	struct rpc_conn conn;
	struct dial dial = { .addr = o->shadow };
	connect_shadow(&conn, &dial, o->key_file, o->on_disconnect == SPLIT_DISCONNECT_RECONNECT);
	struct remote probe;
	remote_init(&probe, &conn, stderr, 0);
	char cwd[PATH_MAX];
	initial_cwd(o, pol, &probe, cwd, sizeof cwd);
	if (probe.lost) {
		fprintf(stderr, "splitrun: %s\n", probe.lost);
		exit(SPLITRUN_EXIT_NO_SHADOW);
	}
	remote_free(&probe);
	int exit_code;
	bool first_remote;
	char *path = program_path(o->argv[0], cwd, pol, &exit_code, &first_remote);
	if (!path)
		exit(exit_code);
	mode_t mask = umask(0);
	umask(mask);

	struct trap_backend *backend = pick_backend(o, pol, first_remote);
	if (!backend)
		return -1;
	bool unotify = strcmp(backend->ops->name, "unotify") == 0;
	(void)cpu_placement_pin(&o->placement, cpu_placement_resolve(o->placement.where, unotify));
	unsigned caps = split_exec_caps(backend->caps);
	int fd_base = caps & EXEC_CAN_ADDFD ? remote_fd_base() : 0;
	struct filter_rule *rules = filter_rules(pol, caps, fd_base, o->trace ? o->selected : NULL);
	if (!rules) {
		fprintf(stderr, "splitrun: out of memory\n");
		return -1;
	}
	checked_backend = backend;
	if (o->trace && !o->selected) {
		/* --trace with no -e: every call is shown, so every call traps. */
		for (long nr = 0; nr <= syscall_max_nr(); nr++)
			if (rules[nr].action != FILTER_ERRNO) {
				rules[nr].action = FILTER_TRACE;
				rules[nr].fd_args = 0;
			}
	}
	/* A program stored at home may be renamed in the guest's memory
	 * when its execve cannot be rewritten: its name gets room to spare. */
	bool roomy = first_remote && !(caps & EXEC_CAN_REWRITE);
	if (roomy) {
		char *room = calloc(1, PATH_MAX);
		if (!room) {
			fprintf(stderr, "splitrun: out of memory\n");
			return -1;
		}
		snprintf(room, PATH_MAX, "%s", path);
		free(path);
		path = room;
	}
	struct exec_config cfg = {
		.policy = pol,
		.conn = &conn,
		.mem = !backend->ops->still_waiting ? &guest_memory
		     : backend->ops->addfd ? &checked_memory_addfd : &checked_memory,
		.caps = caps,
		.cwd = cwd,
		.umask = mask,
		.fd_base = fd_base,
		.attr_ttl_ns = o->attr_ttl_ns,
		.on_lost = o->on_disconnect == SPLIT_DISCONNECT_EIO ? EXEC_LOST_EIO
			 : o->on_disconnect == SPLIT_DISCONNECT_RECONNECT ? EXEC_LOST_RECONNECT : EXEC_LOST_STOP,
		.reconnect_ns = o->reconnect_ns,
		.redial = redial_shadow,
		.redial_ctx = &dial,
		.sync_close = o->sync_close,
		.launch_room = roomy,
	};
	struct exec *exec = exec_new(&cfg);
	if (!exec)
		return -1;
	struct launch_spec spec = {
		.path = path, .argv = o->argv, .rules = rules, .unknown_trap = true, .cwd = exec_kernel_cwd(exec),
	};
	struct split_state state = { .exec = exec, .opts = o, .backend = backend };
	int status = -1;
	if (backend->ops->launch(backend, &spec) == 0) {
		raise_fd_limit();
		struct split_mode mode = {
			.exec = exec,
			.printer = o->printer,
			.trace = o->trace,
			.selected = o->selected,
			.follow_forks = o->follow_forks,
			.leader = backend->guest,
			.trap_caps = backend->caps,
			.on_fatal = on_fatal_hook,
			.fatal_ctx = &state,
		};
		struct trap_handler handler = split_handler(&mode);
		if (trap_loop_run(backend, &handler) == 0 && backend->guest_done)
			status = backend->guest_status;
	}
	/* Whatever is still open is released now: staged files go home,
	 * written data is awaited. */
	struct exec_stats stats;
	int rc = exec_free(exec, &stats);
	if (o->final)
		*o->final = stats;
	if (o->stats && !o->stats_later)
		split_stats_print(o->stats_out ? o->stats_out : stderr, o->stats, &stats);
	rpc_close(&conn);
	if (dial.have_key)
		rpc_key_wipe(&dial.key);
	backend->ops->destroy(backend);
	free(rules);
	free(path);
	policy_free(pol);
	if (rc < 0) {
		fprintf(stderr, "splitrun: data the program wrote did not all reach home (see above)\n");
		exit(SPLITRUN_EXIT_SHADOW_LOST);
	}
	return status;
}
