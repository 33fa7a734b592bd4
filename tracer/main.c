/* tracer/main.c: splitrun's command line. Picks the mode (untraced, trace
 * mode, split mode with --shadow, or --check-policy), starts the guest and
 * exits like it. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/syscall.h"
#include "policy/exec.h"
#include "policy/policy.h"
#include "tracer/backend.h"
#include "tracer/placement.h"
#include "tracer/launch.h"
#include "tracer/loop.h"
#include "tracer/split_run.h"
#include "tracer/trace.h"
#include "tracer/trace_handler.h"

#define SPLITRUN_VERSION "0.1"
#define MAX_EXPRS 64

static const char usage_text[] =
	"Usage: splitrun --shadow HOST:PORT [--policy FILE] [-C DIR] [OPTIONS] [--] PROGRAM [ARGS...]\n"
	"       splitrun [OPTIONS] [--] PROGRAM [ARGS...]\n"
	"       splitrun --check-policy FILE\n"
	"Run PROGRAM under a seccomp filter. With --shadow, its files live on the\n"
	"shadow's side (split execution); with --trace, show its system calls.\n"
	"\n"
	"  --shadow HOST:PORT   split execution: the calls the policy sends home are\n"
	"                       done by the splitrun-shadow at HOST:PORT (a host\n"
	"                       name, IPv4, or [IPv6]); the line splitrun-shadow prints\n"
	"  --policy FILE        the routing policy (splitrun-policy(5)); default: the\n"
	"                       built-in one (system files local, the rest remote)\n"
	"  -C, --cwd DIR        start PROGRAM in DIR, which may be a remote directory\n"
	"  --key FILE           authenticate with the shared key in FILE (a copy of\n"
	"                       one the shadow has, see splitrun-shadow --keygen);\n"
	"                       frames are then encrypted. Default: $SPLITRUN_KEY\n"
	"  --stats[=json]       at the end, what the run did: trapped calls by where\n"
	"                       they went, remote ops, requests, round trips, bytes\n"
	"                       each way, time waiting for the shadow, cache hits\n"
	"                       (json: one line for scripts; splitrun(1) lists the\n"
	"                       fields); also after the -c table. --summary: --stats\n"
	"  --attr-timeout=SEC   believe attributes and names the shadow gave for SEC\n"
	"                       seconds (default 3; 0: ask every time); opens ask,\n"
	"                       or take an answer sent ahead at most SEC old\n"
	"  --on-disconnect=WHAT  when the shadow is lost while PROGRAM runs: stop\n"
	"                       (default: PROGRAM is killed, exit status 122), eio\n"
	"                       (PROGRAM goes on; its calls that need the shadow\n"
	"                       fail with EIO), reconnect (dial it again for\n"
	"                       --reconnect-timeout; files are opened again where\n"
	"                       nothing was lost, the others fail with EIO; then\n"
	"                       stop)\n"
	"  --reconnect-timeout=SEC  how long reconnect dials (default 60)\n"
	"  --async-close        a close of a file written to does not wait until its\n"
	"                       data is at home (one round trip less a file); a\n"
	"                       failure to store it is then told on stderr with\n"
	"                       exit status 122, not by the close. By default\n"
	"                       (--sync-close) the close waits and returns it\n"
	"  --trace              trace mode: print each trapped call like strace\n"
	"                       (implied by -f, -o, -e, -s, -c, -y, -k)\n"
	"  -f                   show children and threads too, with [pid N]\n"
	"  -o FILE              write the trace to FILE instead of stderr\n"
	"  -e EXPR              select calls: trace=NAME,...|%%file|%%desc|%%process|\n"
	"                       %%network|%%memory|%%signal|... (repeatable)\n"
	"  -s N                 print at most N bytes of each string (default 32)\n"
	"  -c                   count calls, time and errors; print a summary table\n"
	"  -y                   print the paths of file descriptors\n"
	"  -k                   print a stack trace after each traced call\n"
	"  --backend=NAME       how calls are trapped: ptrace, unotify (seccomp user\n"
	"                       notification) or auto (the default, also from\n"
	"                       $SPLITRUN_BACKEND): split mode uses unotify unless\n"
	"                       the run needs ptrace (--trace, a remote clock);\n"
	"                       trace mode is ptrace only. Under unotify, --trace\n"
	"                       shows '= ?' for the calls let run, -c and -k are\n"
	"                       refused, and a program stored at home runs under a\n"
	"                       name the kernel can open here (docs/limits.md)\n"
	"  --cpu-placement=WHERE  where splitrun and the program run: auto (the\n"
	"                       default: sync under unotify, any under ptrace),\n"
	"                       sync (unotify wakes each side on the CPU of the\n"
	"                       side that woke it), same (splitrun and the program,\n"
	"                       with all it starts, on the CPU splitrun starts on),\n"
	"                       any (the scheduler decides), or a CPU list such as\n"
	"                       0 or 0,2-3 (all on those CPUs); also\n"
	"                       $SPLITRUN_CPU_PLACEMENT\n"
	"  --check-policy FILE  check a policy file (splitrun-policy(5)): print its\n"
	"                       effective rules, or its errors; '-' checks the\n"
	"                       built-in policy. Exit 0 if valid, 1 if not\n"
	"  -h, --help           show this help and exit\n"
	"  -V, --version        show the version and exit\n"
	"\n"
	"With --shadow and --trace each line ends with where the call went:\n"
	"[local], [remote], [stage], [deny] or [refused].\n"
	"\n"
	"Exit status: PROGRAM's; if a signal killed it, splitrun dies by the same\n"
	"signal. 127: PROGRAM not found; 126: not executable; 2: usage error, a bad\n"
	"policy or a bad -C DIR; 1: splitrun itself failed (ptrace or seccomp\n"
	"unavailable); 121: the shadow could not be reached or refused the\n"
	"handshake; 122: the shadow was lost while PROGRAM ran and PROGRAM was\n"
	"stopped (--on-disconnect), or data PROGRAM wrote did not reach home and\n"
	"no call of PROGRAM's was told (a write it was told had succeeded is never\n"
	"lost without a 122 or an error it saw).\n";

static noreturn void usage_error(const char *fmt, const char *what)
{
	fputs("splitrun: ", stderr);
	fprintf(stderr, fmt, what);
	fputs("\nTry 'splitrun --help' for more information.\n", stderr);
	exit(2);
}

struct settings {
	bool trace;
	struct trace_options topts;
	const char *output;
	const char *exprs[MAX_EXPRS];
	int nexprs;
	const char *check_policy;
	const char *shadow;
	const char *policy;
	const char *cwd;
	const char *key;
	enum split_stats stats;
	double attr_timeout;
	bool attr_timeout_given;
	enum split_on_disconnect on_disconnect;
	bool on_disconnect_given;
	double reconnect_timeout;
	bool reconnect_timeout_given;
	bool sync_close;
	bool async_close;
	enum split_backend backend;
	const char *backend_name;
	struct cpu_placement placement;
};

enum { OPT_TRACE = 256, OPT_BACKEND, OPT_CHECK_POLICY, OPT_SHADOW, OPT_POLICY, OPT_SUMMARY, OPT_KEY, OPT_PLACEMENT, OPT_STATS,
       OPT_ATTR_TIMEOUT, OPT_ON_DISCONNECT, OPT_RECONNECT_TIMEOUT, OPT_SYNC_CLOSE,
       OPT_ASYNC_CLOSE };

/* --backend=NAME (or $SPLITRUN_BACKEND): false for an unknown name. */
static bool set_backend(struct settings *s, const char *name)
{
	if (strcmp(name, "ptrace") == 0)
		s->backend = SPLIT_BACKEND_PTRACE;
	else if (strcmp(name, "unotify") == 0)
		s->backend = SPLIT_BACKEND_UNOTIFY;
	else if (strcmp(name, "auto") == 0)
		s->backend = SPLIT_BACKEND_AUTO;
	else
		return false;
	s->backend_name = name;
	return true;
}

/* --cpu-placement=WHERE (or $SPLITRUN_CPU_PLACEMENT, named by WHO). */
static void set_placement(struct settings *s, const char *who, const char *where)
{
	char err[512], msg[600];
	if (cpu_placement_parse(where, &s->placement, err, sizeof err) < 0) {
		snprintf(msg, sizeof msg, "%s: %s", who, err);
		usage_error("%s", msg);
	}
}

static int parse_options(int argc, char **argv, struct settings *s)
{
	static const struct option longopts[] = {
		{ "trace", no_argument, NULL, OPT_TRACE },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "cpu-placement", required_argument, NULL, OPT_PLACEMENT },
		{ "check-policy", required_argument, NULL, OPT_CHECK_POLICY },
		{ "shadow", required_argument, NULL, OPT_SHADOW },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "cwd", required_argument, NULL, 'C' },
		{ "summary", no_argument, NULL, OPT_SUMMARY },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "stats", optional_argument, NULL, OPT_STATS },
		{ "attr-timeout", required_argument, NULL, OPT_ATTR_TIMEOUT },
		{ "on-disconnect", required_argument, NULL, OPT_ON_DISCONNECT },
		{ "reconnect-timeout", required_argument, NULL, OPT_RECONNECT_TIMEOUT },
		{ "sync-close", no_argument, NULL, OPT_SYNC_CLOSE },
		{ "async-close", no_argument, NULL, OPT_ASYNC_CLOSE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	s->topts.string_limit = 32;
	const char *env_backend = getenv("SPLITRUN_BACKEND");
	if (env_backend && *env_backend && !set_backend(s, env_backend))
		usage_error("SPLITRUN_BACKEND: unknown backend '%s' (ptrace, unotify or auto)", env_backend);
	const char *env_placement = getenv("SPLITRUN_CPU_PLACEMENT");
	if (env_placement && *env_placement)
		set_placement(s, "SPLITRUN_CPU_PLACEMENT", env_placement);
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:fo:e:s:cykhVC:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TRACE:
			s->trace = true;
			break;
		case OPT_BACKEND:
			if (!set_backend(s, optarg))
				usage_error("--backend: unknown backend '%s' (ptrace, unotify or auto)", optarg);
			break;
		case OPT_PLACEMENT:
			set_placement(s, "--cpu-placement", optarg);
			break;
		case OPT_CHECK_POLICY:
			s->check_policy = optarg;
			break;
		case OPT_SHADOW:
			s->shadow = optarg;
			break;
		case OPT_POLICY:
			s->policy = optarg;
			break;
		case 'C':
			s->cwd = optarg;
			break;
		case OPT_SUMMARY:
			s->stats = SPLIT_STATS_TEXT;
			break;
		case OPT_KEY:
			s->key = optarg;
			break;
		case OPT_STATS:
			if (!optarg || strcmp(optarg, "text") == 0)
				s->stats = SPLIT_STATS_TEXT;
			else if (strcmp(optarg, "json") == 0)
				s->stats = SPLIT_STATS_JSON;
			else
				usage_error("--stats: unknown format '%s' (text or json)", optarg);
			break;
		case OPT_ATTR_TIMEOUT: {
			char *end;
			errno = 0;
			double t = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(t >= 0 && t <= 86400))
				usage_error("--attr-timeout: not a number of seconds from 0 to 86400: '%s'", optarg);
			s->attr_timeout = t;
			s->attr_timeout_given = true;
			break;
		}
		case OPT_ON_DISCONNECT:
			if (strcmp(optarg, "stop") == 0)
				s->on_disconnect = SPLIT_DISCONNECT_STOP;
			else if (strcmp(optarg, "eio") == 0)
				s->on_disconnect = SPLIT_DISCONNECT_EIO;
			else if (strcmp(optarg, "reconnect") == 0)
				s->on_disconnect = SPLIT_DISCONNECT_RECONNECT;
			else
				usage_error("--on-disconnect: unknown action '%s' (stop, eio or reconnect)", optarg);
			s->on_disconnect_given = true;
			break;
		case OPT_RECONNECT_TIMEOUT: {
			char *end;
			errno = 0;
			double t = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(t > 0 && t <= 86400))
				usage_error("--reconnect-timeout: not a number of seconds above 0, at most 86400: '%s'",
					    optarg);
			s->reconnect_timeout = t;
			s->reconnect_timeout_given = true;
			break;
		}
		case OPT_SYNC_CLOSE:
			s->sync_close = true;
			break;
		case OPT_ASYNC_CLOSE:
			s->async_close = true;
			break;
		case 'f':
			s->trace = s->topts.follow_forks = true;
			break;
		case 'o':
			s->trace = true;
			s->output = optarg;
			break;
		case 'e':
			s->trace = true;
			if (s->nexprs == MAX_EXPRS)
				usage_error("too many -e options%s", "");
			s->exprs[s->nexprs++] = optarg;
			break;
		case 's': {
			char *end;
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 0 || n > INT_MAX)
				usage_error("-s: invalid string limit '%s'", optarg);
			s->trace = true;
			s->topts.string_limit = (int)n;
			break;
		}
		case 'c':
			s->trace = s->topts.summary_only = true;
			break;
		case 'y':
			s->trace = s->topts.fd_paths = true;
			break;
		case 'k':
			s->trace = s->topts.stack_traces = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			printf("splitrun %s\n", SPLITRUN_VERSION);
			exit(0);
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
			break;
		default:
			if (optopt) {
				char name[3] = { '-', (char)optopt, 0 };
				usage_error("unknown option '%s'", name);
			}
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (s->check_policy) {
		if (optind < argc)
			usage_error("--check-policy runs no program (got '%s')", argv[optind]);
		exit(policy_check_command(strcmp(s->check_policy, "-") == 0 ? NULL : s->check_policy,
					  stdout, stderr));
	}
	if (optind >= argc)
		usage_error("no program to run%s", "");
	if (s->policy && !s->shadow)
		usage_error("--policy needs --shadow (it routes calls to a shadow)%s", "");
	if (s->stats && !s->shadow)
		usage_error("--stats (or --summary) needs --shadow%s", "");
	if (s->attr_timeout_given && !s->shadow)
		usage_error("--attr-timeout needs --shadow%s", "");
	if (s->on_disconnect_given && !s->shadow)
		usage_error("--on-disconnect needs --shadow%s", "");
	if (s->reconnect_timeout_given && s->on_disconnect != SPLIT_DISCONNECT_RECONNECT)
		usage_error("--reconnect-timeout needs --on-disconnect=reconnect%s", "");
	if ((s->sync_close || s->async_close) && !s->shadow)
		usage_error("%s needs --shadow", s->async_close ? "--async-close" : "--sync-close");
	if (s->sync_close && s->async_close)
		usage_error("--sync-close and --async-close: choose one%s", "");
	if (s->key && !s->shadow)
		usage_error("--key needs --shadow (it authenticates to a shadow)%s", "");
	if (!s->key && s->shadow) {
		const char *env = getenv("SPLITRUN_KEY");
		s->key = env && *env ? env : NULL;
	}
	if (s->backend == SPLIT_BACKEND_UNOTIFY && s->trace && !s->shadow)
		usage_error("--backend=unotify: trace mode needs --backend=ptrace (user notification cannot see what "
			    "the calls it lets run return)%s", "");
	if (s->backend == SPLIT_BACKEND_UNOTIFY && (s->topts.summary_only || s->topts.stack_traces))
		usage_error("--backend=unotify: %s needs --backend=ptrace (the results and stacks of the calls user "
			    "notification lets run are not seen)", s->topts.summary_only ? "-c" : "-k");
	return optind;
}

/* The calls -e selects (NULL when none was given: all), and the printer
 * writing to -o FILE or stderr. */
static bool *trace_selection(const struct settings *s)
{
	if (s->nexprs == 0)
		return NULL;
	long max = syscall_max_nr();
	bool *selected = malloc((size_t)max + 1);
	if (!selected) {
		fprintf(stderr, "splitrun: out of memory\n");
		exit(1);
	}
	memset(selected, true, (size_t)max + 1);
	for (int i = 0; i < s->nexprs; i++) {
		char err[256];
		if (trace_select_parse(s->exprs[i], selected, err, sizeof err) < 0) {
			fprintf(stderr, "splitrun: -e %s: %s\n", s->exprs[i], err);
			exit(2);
		}
	}
	return selected;
}

static struct trace_printer *open_printer(const struct settings *s, FILE **out)
{
	struct trace_options topts = s->topts;
	topts.out = stderr;
	if (s->output) {
		topts.out = fopen(s->output, "we");
		if (!topts.out) {
			fprintf(stderr, "splitrun: %s: %s\n", s->output, strerror(errno));
			exit(1);
		}
	}
	*out = topts.out;
	struct trace_printer *printer = trace_printer_new(&topts);
	if (!printer) {
		fprintf(stderr, "splitrun: out of memory\n");
		exit(1);
	}
	return printer;
}

static void close_printer(struct trace_printer *printer, FILE *out)
{
	trace_finish(printer);
	trace_printer_free(printer);
	if (out != stderr)
		fclose(out);
}

static int run_traced(const struct settings *s, struct launch_spec *spec)
{
	long max = syscall_max_nr();
	bool *trapped = trace_selection(s);
	if (!trapped) {
		trapped = malloc((size_t)max + 1);
		if (!trapped) {
			fprintf(stderr, "splitrun: out of memory\n");
			return -1;
		}
		memset(trapped, true, (size_t)max + 1);
	}
	FILE *out;
	struct trace_printer *printer = open_printer(s, &out);
	struct trap_backend *backend = ptrace_backend_new();
	if (!backend) {
		fprintf(stderr, "splitrun: out of memory\n");
		return -1;
	}
	spec->traced = trapped;
	(void)cpu_placement_pin(&s->placement, cpu_placement_resolve(s->placement.where, false));
	int status = -1;
	if (backend->ops->launch(backend, spec) == 0) {
		struct trace_mode mode = {
			.printer = printer,
			.follow_forks = s->topts.follow_forks,
			.leader = backend->guest,
		};
		struct trap_handler handler = trace_handler(&mode);
		if (trap_loop_run(backend, &handler) == 0 && backend->guest_done)
			status = backend->guest_status;
	}
	close_printer(printer, out);
	backend->ops->destroy(backend);
	free(trapped);
	return status;
}

static int run_split(const struct settings *s, char **argv)
{
	struct split_opts o = {
		.backend = s->backend,
		.placement = s->placement,
		.shadow = s->shadow,
		.policy_file = s->policy,
		.cwd = s->cwd,
		.key_file = s->key,
		.stats = s->stats,
		.attr_ttl_ns = (uint64_t)((s->attr_timeout_given ? s->attr_timeout : SPLIT_ATTR_TIMEOUT) * 1e9),
		.on_disconnect = s->on_disconnect,
		.reconnect_ns = (uint64_t)((s->reconnect_timeout_given ? s->reconnect_timeout
								: SPLIT_RECONNECT_TIMEOUT) * 1e9),
		/* A close that returned 0 must not be followed by news that its
		 * data was lost: closes wait unless asked not to. */
		.sync_close = !s->async_close,
		.follow_forks = s->topts.follow_forks,
		.argv = argv,
	};
	bool *selected = NULL;
	FILE *out = NULL;
	struct settings shown = *s;
	if (!s->trace) {
		/* Only the policy's "log" rules print: every process's calls. */
		memset(&shown.topts, 0, sizeof shown.topts);
		shown.topts.string_limit = 32;
		shown.topts.follow_forks = true;
		shown.output = NULL;
	}
	o.trace = s->trace;
	o.printer = open_printer(&shown, &out);
	if (s->trace) {
		selected = trace_selection(s);
		o.selected = selected;
	}
	/* With -c the figures follow the table, in its stream. */
	struct exec_stats final;
	if (s->topts.summary_only && !o.stats)
		o.stats = SPLIT_STATS_TEXT;
	o.stats_out = s->topts.summary_only ? out : stderr;
	o.stats_later = s->topts.summary_only;
	o.final = &final;
	int status = split_run(&o);
	trace_finish(o.printer);
	if (o.stats_later)
		split_stats_print(out, o.stats, &final);
	trace_printer_free(o.printer);
	if (out != stderr)
		fclose(out);
	free(selected);
	return status;
}

/* -C DIR without --shadow: a plain change of directory, like env -C. */
static void change_dir(const char *dir)
{
	if (dir && chdir(dir) < 0) {
		fprintf(stderr, "splitrun: -C %s: %s\n", dir, strerror(errno));
		exit(2);
	}
}

/* The script helper (policy/exec.h): the kernel ran splitrun as the
 * interpreter of the executive's trampoline, with [splitrun, ARG, NAME,
 * the script's arguments...]; the executive tells what the kernel would
 * have run for the script at home (interpreter, its argument, the
 * script's name as its caller gave it), and that runs in its place. */
static int run_script_helper(int argc, char **argv)
{
	static char data[2 * 256 + PATH_MAX + 8];
	long n = syscall(EXEC_SCRIPT_HELPER_NR, data, sizeof data);
	char **args = n > 0 && data[n - 1] == 0 ? calloc((size_t)argc + 2, sizeof *args) : NULL;
	if (!args) {
		fprintf(stderr, "splitrun: %s is splitrun's own: it starts a #! script stored at home in split "
				"execution\n", EXEC_SCRIPT_HELPER_ARG);
		return 126;
	}
	char *interp = data, *arg = interp + strlen(interp) + 1, *name = arg + strlen(arg) + 1;
	size_t ilen = strlen(interp);
	if (name >= data + n || ilen >= EXEC_SCRIPT_HELPER_ROOM) {
		fprintf(stderr, "splitrun: %s: a malformed answer\n", EXEC_SCRIPT_HELPER_ARG);
		free(args);
		return 126;
	}
	/* The executive may write a longer name over the one execve is
	 * given (the interpreter's own copy, not args[0]). */
	static char path[EXEC_SCRIPT_HELPER_ROOM];
	memcpy(path, interp, ilen + 1);
	int k = 0;
	args[k++] = interp;
	if (*arg)
		args[k++] = arg;
	args[k++] = name;
	for (int i = 3; i < argc; i++)
		args[k++] = argv[i];
	args[k] = NULL;
	extern char **environ;
	execve(path, args, environ);
	int err = errno;
	fprintf(stderr, "%s: %s: %s\n", name, interp, strerror(err));
	free(args);
	return err == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], EXEC_SCRIPT_HELPER_ARG) == 0)
		return run_script_helper(argc, argv);
	struct settings s = { 0 };
	int first = parse_options(argc, argv, &s);
	if (s.shadow) {
		int status = run_split(&s, &argv[first]);
		if (status < 0)
			return 1;
		exit_like(status);
	}
	change_dir(s.cwd);
	int exit_code;
	char *path = launch_resolve(argv[first], &exit_code);
	if (!path)
		return exit_code;
	struct launch_spec spec = { .path = path, .argv = &argv[first] };
	int status;
	if (s.trace) {
		status = run_traced(&s, &spec);
	} else {
		/* Nothing traps, so there is no hand-off to place: only a
		 * placement asked for by name applies. */
		if (s.placement.where != CPU_WHERE_AUTO)
			(void)cpu_placement_pin(&s.placement, s.placement.where);
		status = launch_untraced(&spec);
	}
	free(path);
	if (status < 0)
		return 1;
	exit_like(status);
}
