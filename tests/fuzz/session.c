/* tests/fuzz/session.c: libFuzzer harness for the shadow's request handler
 * (shadow/session.c, as after a handshake without a key), in process and
 * without sockets: the input is a sequence of frames, each with its length
 * field, served one by one by shadow_session_feed() against a temporary
 * export root on a small private tmpfs (16 MiB, 2048 inodes, so no input
 * can fill a disk), rebuilt before every input so that a crash replays.
 *
 * Properties: no crash or sanitizer report; every reply is a frame the
 * agent would accept (it decodes by the spec, with the request's tag and
 * op); a session never leaves a descriptor behind when it closes; nothing
 * outside the root changes (a canary file beside it).
 *
 * Blocking calls would hang the fuzzer, not find bugs: F_SETLKW and
 * F_OFD_SETLKW become their non-blocking forms and FLOCK gets LOCK_NB,
 * as the agent itself only ever sends them (it parks blocking locks). */
#include "rpc/canon.h"
#include "rpc/wire.h"
#include "shadow/shadow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
extern const char fuzz_name[];
const char fuzz_name[] = "session";

static char top[] = "/tmp/splitrun-fuzz-session-XXXXXX";
static char root_dir[sizeof top + 8], canary[sizeof top + 16];
static struct shadow_root root;
static int baseline_fds;

static void die(const char *what)
{
	fprintf(stderr, "fuzz/session: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A private mount namespace (as root, or in a user namespace) with a
 * small tmpfs on top; everything the sessions do happens there. */
static void private_tmpfs(void)
{
	if (unshare(CLONE_NEWNS) < 0) {
		uid_t uid = getuid();
		gid_t gid = getgid();
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			die("unshare (neither root nor user namespaces)");
		char map[64];
		int fd = open("/proc/self/setgroups", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "deny", 4) < 0)
				die("setgroups");
			close(fd);
		}
		snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
		fd = open("/proc/self/uid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0)
			die("uid_map");
		close(fd);
		snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
		fd = open("/proc/self/gid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0)
			die("gid_map");
		close(fd);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("making mounts private");
	if (mount("tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,nr_inodes=2048,mode=0755") < 0)
		die("mounting a tmpfs");
}

static void remove_tree(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0)
			continue;
		int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			fchmod(sub, 0700);
			remove_tree(sub);
		}
		unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static void put(const char *name, const char *text, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", root_dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		die(path);
	fchmod(fd, mode);
	close(fd);
}

static void link_to(const char *target, const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", root_dir, name);
	if (symlink(target, path) < 0)
		die(path);
}

static void sub(const char *name, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", root_dir, name);
	if (mkdir(path, mode) < 0)
		die(path);
	chmod(path, mode);
}

/* The tree of tests/integration/shadow_helpers.bash's make_tree, without
 * the FIFO (opening one blocks). */
static void make_tree(void)
{
	chmod(root_dir, 0755);
	int fd = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die(root_dir);
	remove_tree(fd);
	put("f", "hello\n", 0644);
	sub("d", 0755);
	sub("e", 0755);
	put("d/g", "in d\n", 0644);
	put("d/h", "x", 0600);
	link_to("f", "lf");
	link_to("d", "ld");
	link_to("/etc/passwd", "abs");
	link_to("/", "rootlink");
	link_to("../../../../../../../../etc", "up");
	link_to("chain2", "chain1");
	link_to("chain3", "chain2");
	link_to("f", "chain3");
	link_to("loop2", "loop1");
	link_to("loop1", "loop2");
	link_to("nowhere", "dangling");
	put("ro", "read only\n", 0444);
	sub("private", 0700);
	put("private/s", "secret\n", 0600);
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The tmpfs goes with the namespace; its mount point is left behind. */
static void cleanup(void)
{
	close(root.fd);
	umount2(top, MNT_DETACH);
	rmdir(top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(top))
		die("mkdtemp");
	private_tmpfs();
	snprintf(root_dir, sizeof root_dir, "%s/root", top);
	snprintf(canary, sizeof canary, "%s/canary", top);
	if (mkdir(root_dir, 0755) < 0)
		die(root_dir);
	int fd = open(canary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "canary\n", 7) != 7)
		die(canary);
	close(fd);
	make_tree();
	if (shadow_root_open(&root, root_dir))
		die("shadow_root_open");
	/* The shadow creates with the agent's umask as an argument. */
	umask(0);
	shadow_log_open("/dev/null");
	atexit(cleanup);
	return 0;
}

static int64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static void put64(uint8_t *p, int64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v = (int64_t)((uint64_t)v >> 8);
	}
}

/* Makes blocking lock calls non-blocking: at body offset at, op's
 * arguments begin. */
static void unblock(uint8_t *body, size_t len, size_t at, int64_t op)
{
	if (at + 16 > len)
		return;
	if (op == RPC_OP_FLOCK) {
		put64(body + at + 8, get64(body + at + 8) | CANON_LOCK_NB);
	} else if (op == RPC_OP_LOCK) {
		int64_t cmd = get64(body + at + 8);
		if (cmd == CANON_F_SETLKW)
			put64(body + at + 8, CANON_F_SETLK);
		else if (cmd == CANON_F_OFD_SETLKW)
			put64(body + at + 8, CANON_F_OFD_SETLK);
	}
}

static void unblock_frame(uint8_t *frame, size_t len)
{
	if (len < 16)
		return;
	int64_t op = get64(frame + 8);
	uint8_t *body = frame + 16;
	size_t blen = len - 16;
	if (op != RPC_OP_COMPOUND) {
		unblock(body, blen, 0, op);
		return;
	}
	struct rpc_dec d;
	rpc_dec_init(&d, body, blen);
	int64_t count = rpc_get_i64(&d);
	for (int64_t k = 0; k < count && k < RPC_MAX_COMPOUND && !d.error; k++) {
		int64_t sub_op = rpc_get_i64(&d);
		const char *sig = rpc_op_args(sub_op);
		if (d.error || !sig)
			return;
		unblock(body, blen, d.pos, sub_op);
		size_t n = 0;
		if (rpc_get_sig(&d, sig, NULL, &n, RPC_MAX_VALS))
			return;
	}
}

/* The reply to an op no agent knows (the fuzzer's invention) is ENOSYS
 * alone; every other reply must decode as the agent decodes replies. */
static void check_reply(const uint8_t *frame, size_t len, const uint8_t *reply, size_t rlen)
{
	struct rpc_frame req, rep;
	int64_t result;
	size_t n;
	bool known = len >= 16 && rpc_op_args(get64(frame + 8));
	if (rlen < 8 || get64(reply) != (int64_t)rlen - 8 || rpc_frame_parse(reply + 8, rlen - 8, &rep) ||
	    rpc_frame_parse(frame, len, &req) || rep.tag != req.tag || rep.op != req.op ||
	    (known ? rpc_decode_reply(&rep, &result, NULL, SIZE_MAX, &n) != 0
		   : rep.body_len != 8 || get64(rep.body) != -CANON_ENOSYS)) {
		fprintf(stderr, "fuzz/session: a reply the agent would refuse (request op %lld, %zu bytes)\n",
			(long long)(len >= 16 ? get64(frame + 8) : -1), rlen);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Counted here, not once: libFuzzer opens pipes of its own between
	 * inputs (to symbolize what it prints). */
	baseline_fds = count_fds();
	struct shadow_session *s = shadow_session_open(&root);
	if (!s)
		die("shadow_session_open");
	uint8_t *frame = NULL;
	for (size_t at = 0; size - at >= 8;) {
		int64_t len = get64(data + at);
		if (rpc_frame_len_ok(len) || (uint64_t)len > size - at - 8)
			break;   /* a real session would drop here */
		free(frame);
		frame = malloc((size_t)len);
		memcpy(frame, data + at + 8, (size_t)len);
		unblock_frame(frame, (size_t)len);
		at += 8 + (size_t)len;
		const uint8_t *reply;
		size_t rlen;
		if (shadow_session_feed(s, frame, (size_t)len, &reply, &rlen))
			break;
		check_reply(frame, (size_t)len, reply, rlen);
	}
	free(frame);
	shadow_session_close(s);
	int fds = count_fds();
	if (fds != baseline_fds) {
		fprintf(stderr, "fuzz/session: %d descriptors open after the session, %d before:\n", fds, baseline_fds);
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char link[300], target[256] = "";
			snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
			ssize_t n = readlink(link, target, sizeof target - 1);
			target[n > 0 ? n : 0] = 0;
			fprintf(stderr, "  %s -> %s\n", e->d_name, target);
		}
		if (d)
			closedir(d);
		abort();
	}
	char buf[16];
	int fd = open(canary, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	if (fd >= 0)
		close(fd);
	if (got != 7 || memcmp(buf, "canary\n", 7) != 0) {
		fprintf(stderr, "fuzz/session: the file beside the root changed\n");
		abort();
	}
	make_tree();
	return 0;
}
