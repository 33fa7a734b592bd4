/* shadow/main.c: command line of splitrun-shadow. */
#include "shadow/shadow.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#define SHADOW_VERSION "0.1"

static void usage(FILE *f)
{
	fputs("usage: splitrun-shadow --root DIR [--listen ADDR:PORT] [--multiprocess | --multithread]\n"
	      "                       [--read-only] [--debug] [--once] [--log FILE]\n"
	      "                       [--frame-timeout SECONDS]\n"
	      "       splitrun-shadow --help | --version\n"
	      "Serves the files beneath DIR (and this machine's identity and clock) to\n"
	      "splitrun agents. Every path resolves beneath DIR.\n"
	      "  --root DIR          the directory the agents see as /\n"
	      "  --listen ADDR:PORT  where to listen (IPv6 as [ADDR]:PORT); default and port 0:\n"
	      "                      a free port on 127.0.0.1. The line to give splitrun is\n"
	      "                      printed on stdout: splitrun --shadow ADDR:PORT\n"
	      "  --multithread       a thread per session (the default)\n"
	      "  --multiprocess      a process per session: a crash ends only that session\n"
	      "  --read-only         refuse every change with EROFS\n"
	      "  --once              serve one session, then exit\n"
	      "  --debug             log every op and its result\n"
	      "  --log FILE          log to FILE (appended; SIGHUP reopens it) instead of stderr\n"
	      "  --frame-timeout S   end a session whose peer stops for S seconds inside a\n"
	      "                      frame (default 30)\n"
	      "Signals: SIGTERM/SIGINT drain (sessions end, then exit 0); SIGHUP reopens the log.\n"
	      "Exit status: 0 done, 1 cannot start (root, log, listen), 2 bad options.\n"
	      "See splitrun-shadow(8).\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, 0, 'r' },
		{ "listen", required_argument, 0, 'l' },
		{ "multiprocess", no_argument, 0, 'p' },
		{ "multithread", no_argument, 0, 't' },
		{ "read-only", no_argument, 0, 'R' },
		{ "debug", no_argument, 0, 'd' },
		{ "once", no_argument, 0, 'o' },
		{ "log", required_argument, 0, 'L' },
		{ "frame-timeout", required_argument, 0, 'T' },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct shadow_config cfg = { 0 };
	int c, modes = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': cfg.root = optarg; break;
		case 'l': cfg.listen = optarg; break;
		case 'p': cfg.multiprocess = true; modes |= 1; break;
		case 't': cfg.multiprocess = false; modes |= 2; break;
		case 'R': cfg.read_only = true; break;
		case 'd': cfg.debug = true; break;
		case 'o': cfg.once = true; break;
		case 'L': cfg.log_path = optarg; break;
		case 'T': {
			char *end;
			double sec = strtod(optarg, &end);
			if (end == optarg || *end || !(sec >= 0.001 && sec <= 86400)) {
				fprintf(stderr, "splitrun-shadow: --frame-timeout '%s': want seconds from 0.001 to 86400\n",
					optarg);
				return 2;
			}
			cfg.frame_timeout_ms = (int)(sec * 1000 + 0.5);
			break;
		}
		case 'h': usage(stdout); return 0;
		case 'V': printf("splitrun-shadow " SHADOW_VERSION "\n"); return 0;
		default:
			fputs("splitrun-shadow: try 'splitrun-shadow --help'\n", stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "splitrun-shadow: unexpected argument '%s'; try 'splitrun-shadow --help'\n", argv[optind]);
		return 2;
	}
	if (!cfg.root) {
		fprintf(stderr, "splitrun-shadow: --root DIR is required; try 'splitrun-shadow --help'\n");
		return 2;
	}
	if (modes == 3) {
		fprintf(stderr, "splitrun-shadow: --multiprocess and --multithread exclude each other\n");
		return 2;
	}
	if (cfg.listen && shadow_listen_valid(cfg.listen)) {
		fprintf(stderr, "splitrun-shadow: --listen '%s': want ADDR:PORT with a numeric address and a port "
			"from 0 to 65535, e.g. 127.0.0.1:0 or [::1]:7000\n", cfg.listen);
		return 2;
	}
	return shadow_serve(&cfg);
}
