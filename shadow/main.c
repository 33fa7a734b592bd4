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
	      "       splitrun-shadow --help | --version\n"
	      "Serves the files beneath DIR to splitrun agents. Without --listen (or with\n"
	      "port 0) it picks a free loopback port and prints the splitrun option to use.\n", f);
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
		case 'h': usage(stdout); return 0;
		case 'V': printf("splitrun-shadow " SHADOW_VERSION "\n"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "splitrun-shadow: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!cfg.root) {
		fprintf(stderr, "splitrun-shadow: --root DIR is required\n");
		usage(stderr);
		return 2;
	}
	if (modes == 3) {
		fprintf(stderr, "splitrun-shadow: --multiprocess and --multithread exclude each other\n");
		return 2;
	}
	return shadow_serve(&cfg);
}
