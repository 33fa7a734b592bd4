/* shadow/main.c: command line of splitrun-shadow. */
#include "shadow/shadow.h"

#include "rpc/auth.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHADOW_VERSION "0.1"

static void usage(FILE *f)
{
	fputs("usage: splitrun-shadow --root DIR [--listen ADDR:PORT] [--multiprocess | --multithread]\n"
	      "                       [--key FILE|DIR]... [--authfile FILE] [--insecure]\n"
	      "                       [--read-only] [--debug] [--once] [--log FILE]\n"
	      "                       [--frame-timeout S] [--handshake-timeout S] [--idle-timeout S]\n"
	      "                       [--max-sessions N]\n"
	      "       splitrun-shadow --keygen FILE | --key-id FILE\n"
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
	      "  --handshake-timeout S  end a connection that has not completed the\n"
	      "                      handshake S seconds after it was accepted (default 10)\n"
	      "  --idle-timeout S    end a session that sends nothing for S seconds\n"
	      "                      (default: none; TCP keepalive finds vanished agents)\n"
	      "  --max-sessions N    serve at most N sessions at once, handshakes included;\n"
	      "                      more are answered EBUSY (default 128)\n"
	      "Authentication (see splitrun-shadow(8), SECURITY):\n"
	      "  --key FILE|DIR      require agents to prove they hold this key (a DIR: every\n"
	      "                      *.key file in it); repeatable. Frames are then sealed\n"
	      "                      (encrypted and authenticated)\n"
	      "  --authfile FILE     only the subjects FILE lists may connect (key:ID or\n"
	      "                      USER@HOST, * wildcards; per line: readonly, root=DIR)\n"
	      "  --insecure          allow a non-loopback --listen without --key\n"
	      "  --keygen FILE       write a new key to FILE (mode 0600, never overwritten),\n"
	      "                      print its id, and exit\n"
	      "  --key-id FILE       print the id of the key in FILE (key:...) and exit\n"
	      "Signals: SIGTERM/SIGINT drain (sessions end, then exit 0); SIGHUP reopens the log.\n"
	      "Exit status: 0 done, 1 cannot start (root, log, listen, key, authfile), 2 bad\n"
	      "options (also a non-loopback --listen without --key or --insecure).\n"
	      "See splitrun-shadow(8).\n", f);
}

/* A number of seconds from 0.001 to 86400, in ms; -1 after a message. */
static int seconds_ms(const char *option, const char *text)
{
	char *end;
	double sec = strtod(text, &end);
	if (end == text || *end || !(sec >= 0.001 && sec <= 86400)) {
		fprintf(stderr, "splitrun-shadow: %s '%s': want seconds from 0.001 to 86400\n", option, text);
		return -1;
	}
	return (int)(sec * 1000 + 0.5);
}

/* --keygen FILE and --key-id FILE. */
static int key_command(const char *keygen, const char *key_id)
{
	struct rpc_key k;
	char err[512];
	if (keygen && key_id) {
		fprintf(stderr, "splitrun-shadow: --keygen and --key-id exclude each other\n");
		return 2;
	}
	if (rpc_crypto_init()) {
		fprintf(stderr, "splitrun-shadow: libsodium cannot start (no entropy source?)\n");
		return 1;
	}
	if (keygen) {
		if (rpc_key_generate(keygen, &k, err, sizeof err)) {
			fprintf(stderr, "splitrun-shadow: --keygen %s: %s\n", keygen, err);
			return 1;
		}
		printf("%s written to %s (mode 0600); give it to the shadow with --key and a copy to each agent\n",
		       k.name, keygen);
	} else {
		if (rpc_key_load(key_id, &k, err, sizeof err)) {
			fprintf(stderr, "splitrun-shadow: --key-id %s: %s\n", key_id, err);
			return 1;
		}
		printf("%s\n", k.name);
	}
	rpc_key_wipe(&k);
	return 0;
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
		{ "handshake-timeout", required_argument, 0, 'H' },
		{ "idle-timeout", required_argument, 0, 'I' },
		{ "max-sessions", required_argument, 0, 'M' },
		{ "key", required_argument, 0, 'k' },
		{ "authfile", required_argument, 0, 'a' },
		{ "insecure", no_argument, 0, 'i' },
		{ "keygen", required_argument, 0, 'g' },
		{ "key-id", required_argument, 0, 'K' },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct shadow_config cfg = { 0 };
	const char *keygen = NULL, *key_id = NULL;
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
		case 'T':
			if ((cfg.frame_timeout_ms = seconds_ms("--frame-timeout", optarg)) < 0)
				return 2;
			break;
		case 'H':
			if ((cfg.handshake_timeout_ms = seconds_ms("--handshake-timeout", optarg)) < 0)
				return 2;
			break;
		case 'I':
			if ((cfg.idle_timeout_ms = seconds_ms("--idle-timeout", optarg)) < 0)
				return 2;
			break;
		case 'M': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (end == optarg || *end || n < 1 || n > 100000) {
				fprintf(stderr, "splitrun-shadow: --max-sessions '%s': want a number from 1 to 100000\n",
					optarg);
				return 2;
			}
			cfg.max_sessions = (int)n;
			break;
		}
		case 'k':
			if (cfg.nkeys == SHADOW_MAX_KEY_ARGS) {
				fprintf(stderr, "splitrun-shadow: more than %d --key options; put the keys in a directory "
					"and give --key DIR\n", SHADOW_MAX_KEY_ARGS);
				return 2;
			}
			cfg.keys[cfg.nkeys++] = optarg;
			break;
		case 'a': cfg.authfile = optarg; break;
		case 'i': cfg.insecure = true; break;
		case 'g': keygen = optarg; break;
		case 'K': key_id = optarg; break;
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
	if (keygen || key_id)
		return key_command(keygen, key_id);
	if (!cfg.root) {
		fprintf(stderr, "splitrun-shadow: --root DIR is required; try 'splitrun-shadow --help'\n");
		return 2;
	}
	if (modes == 3) {
		fprintf(stderr, "splitrun-shadow: --multiprocess and --multithread exclude each other\n");
		return 2;
	}
	if (cfg.authfile && !cfg.nkeys) {
		fprintf(stderr, "splitrun-shadow: --authfile needs --key: without a key no subject is authenticated, "
			"so there is nothing the authfile could check\n");
		return 2;
	}
	if (cfg.listen && shadow_listen_valid(cfg.listen)) {
		fprintf(stderr, "splitrun-shadow: --listen '%s': want ADDR:PORT with a numeric address and a port "
			"from 0 to 65535, e.g. 127.0.0.1:0 or [::1]:7000\n", cfg.listen);
		return 2;
	}
	return shadow_serve(&cfg);
}
