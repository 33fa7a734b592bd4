/* tests/unit/rpc_exchange.c: the wire format as a real session speaks it.
 * A session (shadow_session_run) serves one end of a socketpair in a
 * thread; the test writes request bytes and compares the reply bytes with
 * golden hex, and checks the rules of docs/wire-format.md that only a live
 * session shows: version negotiation, replies to pipelined requests, the
 * data budget that keeps a COMPOUND's reply inside RPC_MAX_FRAME, the
 * statfs layout, and what closes a session. The client's side of the same
 * rules runs against a fake shadow whose bytes the test writes; its bounded
 * dial (rpc_connect_within) against loopback listeners. */
#include "rpc/canon.h"
#include "rpc/client.h"
#include "rpc/wire.h"
#include "shadow/shadow.h"
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

static struct shadow_root root;
static char dir[] = "/tmp/rpc_exchange_XXXXXX";

struct session {
	pthread_t thread;
	int fd;        /* our end */
	int peer;      /* the session's end */
	int rc;        /* shadow_session_run's result */
};

static void *session_main(void *p)
{
	struct session *s = p;
	s->rc = shadow_session_run(&root, s->peer);
	return NULL;
}

static void session_start(struct session *s)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(2);
	}
	s->fd = sv[0];
	s->peer = sv[1];
	s->rc = 1;
	pthread_create(&s->thread, NULL, session_main, s);
}

/* Hangs up and returns the session's result. */
static int session_end(struct session *s)
{
	close(s->fd);
	pthread_join(s->thread, NULL);
	return s->rc;
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] && s[1]; s += 2)
		out[n++] = (uint8_t)strtoul((char[3]){ s[0], s[1], 0 }, NULL, 16);
	return n;
}

static void send_hex(struct session *s, const char *hex)
{
	uint8_t buf[4096];
	size_t n = unhex(hex, buf);
	if (rpc_write_full(s->fd, buf, n))
		printf("# write to the session failed\n");
}

/* Reads one reply frame and gives it as hex (length field included). */
static const char *recv_hex(struct session *s)
{
	static char hex[2 * 65536 + 1];
	uint8_t *frame;
	size_t len;
	if (rpc_read_frame(s->fd, &frame, &len))
		return "(no reply)";
	uint8_t *all = malloc(len + 8);
	struct rpc_enc e;
	rpc_enc_init(&e);
	rpc_put_i64(&e, (int64_t)len);
	memcpy(all, e.data, 8);
	memcpy(all + 8, frame, len);
	rpc_hex(all, len + 8 < 65536 ? len + 8 : 65536, hex);
	rpc_enc_free(&e);
	free(all);
	free(frame);
	return hex;
}

static int at_eof(struct session *s)
{
	uint8_t b;
	return read(s->fd, &b, 1) == 0;
}

#define HELLO_X86 \
	"000000000000003e" "0000000000000000" "0000000000000001" "53504c4954525043" \
	"0000000000000001" "0000000000000001" "0000000000000006" "7838365f3634" "0000000000000000"

static void hello(struct session *s)
{
	send_hex(s, HELLO_X86);
	recv_hex(s);
}

static void test_handshake(void)
{
	struct session s;
	char want[512], archhex[2 * RPC_MAX_ARCH + 1];
	const char *arch = rpc_host_arch();
	rpc_hex(arch, strlen(arch), archhex);
	/* length 48 + strlen(arch): tag, op, result, version, features, arch */
	snprintf(want, sizeof want, "%016zx" "0000000000000000" "0000000000000001" "0000000000000000"
		 "0000000000000001" "0000000000000001" "%016zx%s", 48 + strlen(arch), strlen(arch), archhex);

	session_start(&s);
	send_hex(&s, HELLO_X86);
	CHECK_EQ_STR(recv_hex(&s), want, "HELLO reply: version 1, COMPOUND, the shadow's arch");
	CHECK_EQ_INT(session_end(&s), 0, "agent hang-up after the handshake is a clean end");

	/* An agent offering version 3 (and unknown feature bits) gets 2, with
	 * the version 2 layout (an empty auth field: this shadow has no key). */
	snprintf(want, sizeof want, "%016zx" "0000000000000000" "0000000000000001" "0000000000000000"
		 "0000000000000002" "0000000000000001" "%016zx%s" "0000000000000000", 56 + strlen(arch), strlen(arch),
		 archhex);
	session_start(&s);
	send_hex(&s, "000000000000003e" "0000000000000000" "0000000000000001" "53504c4954525043"
		     "0000000000000003" "00000000000000ff" "0000000000000006" "7838365f3634" "0000000000000000");
	CHECK_EQ_STR(recv_hex(&s), want, "HELLO offering version 3: answered with 2, features masked, no AUTH");
	session_end(&s);

	/* Version 0: refused with EPROTONOSUPPORT (canonical 93), then closed. */
	session_start(&s);
	send_hex(&s, "000000000000003e" "0000000000000000" "0000000000000001" "53504c4954525043"
		     "0000000000000000" "0000000000000001" "0000000000000006" "7838365f3634" "0000000000000000");
	CHECK_EQ_STR(recv_hex(&s), "0000000000000018" "0000000000000000" "0000000000000001" "ffffffffffffffa3",
		     "HELLO with version 0: EPROTONOSUPPORT");
	CHECK(at_eof(&s), "session closed after refusing the version");
	CHECK_EQ_INT(session_end(&s), -EPROTONOSUPPORT, "session result");

	/* A wrong magic is not answered at all. */
	session_start(&s);
	send_hex(&s, "000000000000003e" "0000000000000000" "0000000000000001" "53504c4954525044"
		     "0000000000000001" "0000000000000001" "0000000000000006" "7838365f3634" "0000000000000000");
	CHECK(at_eof(&s), "bad magic: closed without a reply");
	CHECK_EQ_INT(session_end(&s), -EPROTO, "bad magic: malformed");

	/* The first frame must be HELLO. */
	session_start(&s);
	send_hex(&s, "0000000000000010" "0000000000000001" "0000000000000002");
	CHECK(at_eof(&s), "NULL before HELLO: closed without a reply");
	CHECK_EQ_INT(session_end(&s), -EPROTO, "NULL before HELLO: malformed");

	/* The client library negotiates the same. */
	struct rpc_conn c;
	session_start(&s);
	CHECK_EQ_INT(rpc_attach(&c, dup(s.fd)), 0, "rpc_attach shakes hands");
	CHECK_EQ_INT(c.server_version, 2, "client sees version 2");
	CHECK_EQ_INT(c.server_features, RPC_FEATURE_COMPOUND, "client sees COMPOUND");
	CHECK_EQ_STR(c.server_arch, rpc_host_arch(), "client sees the shadow's arch");
	rpc_close(&c);
	session_end(&s);
}

/* Exact replies of a live session to plain requests and COMPOUNDs. */
static void test_golden_replies(void)
{
	struct session s;
	session_start(&s);
	hello(&s);
	send_hex(&s, "0000000000000010" "0000000000000005" "0000000000000002");
	CHECK_EQ_STR(recv_hex(&s), "0000000000000018" "0000000000000005" "0000000000000002" "0000000000000000",
		     "NULL reply");
	/* OPEN(cwd, "nope", RDONLY, 0, 0, 0) -> ENOENT */
	send_hex(&s, "0000000000000044" "0000000000000006" "0000000000000003" "ffffffffffffff9c"
		     "0000000000000004" "6e6f7065" "0000000000000000" "0000000000000000" "0000000000000000"
		     "0000000000000000");
	CHECK_EQ_STR(recv_hex(&s), "0000000000000018" "0000000000000006" "0000000000000003" "fffffffffffffffe",
		     "OPEN of a missing file: ENOENT reply");
	/* GETCWD -> 2, "/" */
	send_hex(&s, "0000000000000010" "0000000000000007" "0000000000000026");
	CHECK_EQ_STR(recv_hex(&s), "0000000000000021" "0000000000000007" "0000000000000026" "0000000000000002"
		     "0000000000000001" "2f", "GETCWD reply");
	/* An unknown op is answered ENOSYS (38) and the session goes on. */
	send_hex(&s, "0000000000000018" "0000000000000008" "0000000000000063" "0123456789abcdef");
	CHECK_EQ_STR(recv_hex(&s), "0000000000000018" "0000000000000008" "0000000000000063" "ffffffffffffffda",
		     "unknown op 99: ENOSYS reply");

	/* COMPOUND tag 12: OPEN(cwd, "f") ; PREAD(REF0, 5, 0) ; CLOSE(REF0) */
	send_hex(&s, "0000000000000081" "000000000000000c" "000000000000002c" "0000000000000003"
		     "0000000000000003" "ffffffffffffff9c" "0000000000000001" "66" "0000000000000000"
		     "0000000000000000" "0000000000000000" "0000000000000000"
		     "0000000000000006" "8000000000000000" "0000000000000005" "0000000000000000"
		     "0000000000000004" "8000000000000000");
	CHECK_EQ_STR(recv_hex(&s),
		     "000000000000005d" "000000000000000c" "000000000000002c" "0000000000000000" "0000000000000003"
		     "0000000000000003" "0000000000000000"
		     "0000000000000006" "0000000000000005" "0000000000000005" "68656c6c6f"
		     "0000000000000004" "0000000000000000",
		     "COMPOUND open/pread/close reply: handle 0, \"hello\", 0");

	/* COMPOUND tag 13 that stops: OPEN(cwd, "f") ; READ(REF0, -1) fails
	 * EINVAL (22) ; CLOSE(REF0) is not run. */
	send_hex(&s, "0000000000000079" "000000000000000d" "000000000000002c" "0000000000000003"
		     "0000000000000003" "ffffffffffffff9c" "0000000000000001" "66" "0000000000000000"
		     "0000000000000000" "0000000000000000" "0000000000000000"
		     "0000000000000005" "8000000000000000" "ffffffffffffffff"
		     "0000000000000004" "8000000000000000");
	CHECK_EQ_STR(recv_hex(&s),
		     "0000000000000040" "000000000000000d" "000000000000002c" "ffffffffffffffea" "0000000000000002"
		     "0000000000000003" "0000000000000000"
		     "0000000000000005" "ffffffffffffffea",
		     "COMPOUND stopping at a failing op: two results, overall EINVAL");
	/* The handle the stopped COMPOUND opened is still open: close it. */
	send_hex(&s, "0000000000000018" "000000000000000e" "0000000000000004" "0000000000000000");
	CHECK_EQ_STR(recv_hex(&s), "0000000000000018" "000000000000000e" "0000000000000004" "0000000000000000",
		     "handle 0 from the stopped COMPOUND closes");

	/* A reference to a later op: EINVAL for that op, the COMPOUND stops. */
	send_hex(&s, "0000000000000030" "000000000000000f" "000000000000002c" "0000000000000002"
		     "0000000000000002" "0000000000000004" "8000000000000001");
	CHECK_EQ_STR(recv_hex(&s),
		     "0000000000000040" "000000000000000f" "000000000000002c" "ffffffffffffffea" "0000000000000002"
		     "0000000000000002" "0000000000000000" "0000000000000004" "ffffffffffffffea",
		     "COMPOUND with a forward reference: EINVAL at that op");
	CHECK_EQ_INT(session_end(&s), 0, "session ends cleanly");
}

static void test_pipelined(void)
{
	struct session s;
	struct rpc_conn c;
	struct rpc_reply r;
	session_start(&s);
	rpc_attach(&c, dup(s.fd));
	struct rpc_val open_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("f"), rpc_int(0), rpc_int(0), rpc_int(0), rpc_int(0) };
	int64_t t1 = rpc_send(&c, RPC_OP_NULL, NULL, 0);
	int64_t t2 = rpc_send(&c, RPC_OP_OPEN, open_args, 6);
	int64_t t3 = rpc_send(&c, RPC_OP_GETCWD, NULL, 0);
	CHECK(t1 > 0 && t2 > t1 && t3 > t2, "three requests in flight (tags %lld %lld %lld)", (long long)t1,
	      (long long)t2, (long long)t3);
	CHECK(rpc_recv(&c, t3, &r) == 0 && r.op == RPC_OP_GETCWD && r.result == 2 && r.nvals == 1, "last reply first");
	rpc_reply_free(&r);
	CHECK(rpc_recv(&c, t1, &r) == 0 && r.op == RPC_OP_NULL && r.result == 0, "then the first");
	rpc_reply_free(&r);
	CHECK(rpc_recv(&c, t2, &r) == 0 && r.op == RPC_OP_OPEN && r.result == 0, "then the second (handle 0)");
	rpc_reply_free(&r);

	/* statfs: 12 canonical fields, fsid both halves. */
	struct rpc_val statfs_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("/") };
	CHECK(rpc_call(&c, RPC_OP_STATFS, statfs_args, 2, &r) == 0 && r.result == 0, "STATFS of the root");
	CHECK_EQ_INT(r.nvals, RPC_STATFS_FIELDS, "STATFS reply has 12 values");
	struct statfs sf;
	struct canon_statfs want, got;
	if (r.nvals == RPC_STATFS_FIELDS && statfs(dir, &sf) == 0 && canon_statfs_from_statfs(&sf, &want) == 0) {
		rpc_vals_statfs(r.vals, &got);
		CHECK(got.type == want.type && got.bsize == want.bsize && got.fsid0 == want.fsid0 &&
		      got.fsid1 == want.fsid1 && got.namelen == want.namelen && got.frsize == want.frsize &&
		      got.flags == want.flags, "STATFS fields are the root's (type %#llx fsid %llx:%llx)",
		      (long long)got.type, (long long)got.fsid0, (long long)got.fsid1);
	}
	rpc_reply_free(&r);

	/* stat of "f" decodes to the file's own fields. */
	struct rpc_val stat_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("f"), rpc_int(0) };
	CHECK(rpc_call(&c, RPC_OP_FSTATAT, stat_args, 3, &r) == 0 && r.result == 0 && r.nvals == RPC_STAT_FIELDS,
	      "FSTATAT of f: 21 values");
	struct stat st;
	char path[sizeof dir + 8];
	snprintf(path, sizeof path, "%s/f", dir);
	if (r.nvals == RPC_STAT_FIELDS && stat(path, &st) == 0) {
		struct canon_stat cs;
		rpc_vals_stat(r.vals, &cs);
		CHECK(cs.ino == (int64_t)st.st_ino && cs.size == 5 && cs.mode == (CANON_S_IFREG | 0640) &&
		      cs.mtime.sec == st.st_mtim.tv_sec && cs.mtime.nsec == st.st_mtim.tv_nsec,
		      "FSTATAT fields: ino, size 5, mode regular 0640, mtime");
	}
	rpc_reply_free(&r);
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "pipelined session ends cleanly");
}

/* FLOCK: a lock through one session's handle holds off another session's
 * non-blocking attempt (EAGAIN), until it is released; an unknown bit is
 * refused. */
static void test_flock(void)
{
	struct session a, b;
	struct rpc_conn ca, cb;
	struct rpc_reply r;
	session_start(&a);
	session_start(&b);
	rpc_attach(&ca, dup(a.fd));
	rpc_attach(&cb, dup(b.fd));
	struct rpc_val open_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("f"), rpc_int(CANON_O_RDONLY), rpc_int(0),
				       rpc_int(0), rpc_int(0) };
	int64_t ha = -1, hb = -1;
	if (rpc_call(&ca, RPC_OP_OPEN, open_args, 6, &r) == 0)
		ha = r.result;
	rpc_reply_free(&r);
	if (rpc_call(&cb, RPC_OP_OPEN, open_args, 6, &r) == 0)
		hb = r.result;
	rpc_reply_free(&r);
	CHECK(ha >= 0 && hb >= 0, "both sessions open f read-only");
	struct rpc_val ex_a[] = { rpc_int(ha), rpc_int(CANON_LOCK_EX) };
	struct rpc_val exnb_b[] = { rpc_int(hb), rpc_int(CANON_LOCK_EX | CANON_LOCK_NB) };
	struct rpc_val un_a[] = { rpc_int(ha), rpc_int(CANON_LOCK_UN) };
	struct rpc_val bad[] = { rpc_int(ha), rpc_int(0x40) };
	const struct {
		int who;
		struct rpc_val *args;
		int64_t want;
		const char *what;
	} steps[] = {
		{ 0, ex_a, 0, "FLOCK LOCK_EX through a read-only handle" },
		{ 1, exnb_b, -CANON_EAGAIN, "the other session's LOCK_EX|LOCK_NB fails with EAGAIN" },
		{ 0, un_a, 0, "LOCK_UN" },
		{ 1, exnb_b, 0, "then the other session gets it" },
		{ 0, bad, -CANON_EINVAL, "an operation with an unknown bit is EINVAL" },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		int64_t got = -999;
		if (rpc_call(steps[i].who ? &cb : &ca, RPC_OP_FLOCK, steps[i].args, 2, &r) == 0)
			got = r.result;
		rpc_reply_free(&r);
		CHECK_EQ_INT(got, steps[i].want, "%s", steps[i].what);
	}
	rpc_close(&ca);
	rpc_close(&cb);
	CHECK(session_end(&a) == 0 && session_end(&b) == 0, "FLOCK sessions end cleanly");
}

/* What the shadow answers as the kernel would: OPEN with O_DIRECTORY (whose
 * bit O_TMPFILE shares) ignores a mode, as open(2) does when not creating;
 * READLINK of a file that is no symlink is EINVAL. */
static void test_kernel_answers(void)
{
	struct session s;
	struct rpc_conn c;
	struct rpc_reply r;
	session_start(&s);
	rpc_attach(&c, dup(s.fd));
	struct rpc_val open_dir[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("many"), rpc_int(CANON_O_RDONLY | CANON_O_DIRECTORY),
				      rpc_int(0644), rpc_int(0), rpc_int(0) };
	int64_t got = -999;
	if (rpc_call(&c, RPC_OP_OPEN, open_dir, 6, &r) == 0)
		got = r.result;
	rpc_reply_free(&r);
	CHECK(got >= 0, "OPEN O_DIRECTORY with a mode (ignored) gives a handle (result %lld)", (long long)got);
	struct rpc_val link_args[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("f"), rpc_int(64) };
	got = -999;
	if (rpc_call(&c, RPC_OP_READLINK, link_args, 3, &r) == 0)
		got = r.result;
	rpc_reply_free(&r);
	CHECK_EQ_INT(got, -CANON_EINVAL, "READLINK of a regular file");
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "the session ends cleanly");
}

/* Counts the entries (ino, off, type, name each) of a GETDENTS reply named
 * "...-NNNN" in seen[NNNN], skipping "." and ".."; an unexpected name or
 * one seen before counts in *bad. */
static int64_t tally_entries(const struct rpc_val *v, int64_t count, char *seen, int64_t *bad)
{
	int64_t got = 0;
	for (int64_t e = 0; e < count; e++) {
		const struct rpc_val *name = &v[4 * e + 3];
		int idx = name->i > 4 ? atoi((const char *)name->p + name->i - 4) : -1;
		if (name->p[0] == '.')
			continue;
		if (idx < 0 || idx >= 4000 || seen[idx]++)
			(*bad)++;
		got++;
	}
	return got;
}

/* The data ops of one COMPOUND share RPC_MAX_BUF bytes of reply. */
static void test_data_budget(void)
{
	struct session s;
	struct rpc_conn c;
	struct rpc_reply r;
	session_start(&s);
	rpc_attach(&c, dup(s.fd));
	const int64_t MB = RPC_MAX_BUF;
	struct rpc_val a_open[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("big"), rpc_int(0), rpc_int(0), rpc_int(0), rpc_int(0) };
	struct rpc_val a_r1[] = { rpc_int(RPC_REF(0)), rpc_int(MB), rpc_int(0) };
	struct rpc_val a_r2[] = { rpc_int(RPC_REF(0)), rpc_int(MB), rpc_int(MB) };
	struct rpc_val a_r3[] = { rpc_int(RPC_REF(0)), rpc_int(MB), rpc_int(2 * MB) };
	struct rpc_call calls[] = {
		{ RPC_OP_OPEN, 6, a_open }, { RPC_OP_PREAD, 3, a_r1 }, { RPC_OP_PREAD, 3, a_r2 }, { RPC_OP_PREAD, 3, a_r3 },
	};
	int64_t tag = rpc_send_compound(&c, calls, 4);
	int rc = rpc_recv(&c, tag, &r);
	CHECK_EQ_INT(rc, 0, "COMPOUND of three 1 MiB PREADs gets a reply (the session is not dropped)");
	if (!rc) {
		/* open(op, res), pread(op, res, buf), pread(op, res) */
		CHECK(r.nvals == 7 && r.vals[3].i == MB && r.vals[4].i == MB && r.vals[6].i == -CANON_E2BIG &&
		      r.result == -CANON_E2BIG, "first PREAD gets 1 MiB, the second E2BIG without running, then stop");
		rpc_reply_free(&r);
	}
	a_r1[1] = rpc_int(600000);
	a_r2[1] = rpc_int(600000);
	tag = rpc_send_compound(&c, calls, 3);
	rc = rpc_recv(&c, tag, &r);
	CHECK(rc == 0 && r.result == MB - 600000 && r.nvals == 8 && r.vals[4].i == 600000 && r.vals[7].i == MB - 600000,
	      "two 600000-byte PREADs: the second is short (%lld), not refused", rc ? -1LL : (long long)r.result);
	if (!rc)
		rpc_reply_free(&r);

	/* GETDENTS in a COMPOUND stop at the budget and resume without losing
	 * or repeating an entry. */
	struct rpc_val a_od[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("many"), rpc_int(CANON_O_DIRECTORY), rpc_int(0),
				  rpc_int(0), rpc_int(0) };
	struct rpc_val a_gd[] = { rpc_int(RPC_REF(0)), rpc_int(RPC_MAX_DIRENTS) };
	struct rpc_call dcalls[6] = { { RPC_OP_OPEN, 6, a_od } };
	for (int k = 1; k < 6; k++)
		dcalls[k] = (struct rpc_call){ RPC_OP_GETDENTS, 2, a_gd };
	tag = rpc_send_compound(&c, dcalls, 6);
	rc = rpc_recv(&c, tag, &r);
	CHECK_EQ_INT(rc, 0, "COMPOUND of five GETDENTS of 1024 gets a reply");
	if (rc)
		goto out;
	static char seen[4002];
	int64_t handle = r.vals[1].i, got = 0, dup_or_bad = 0, ops = 0, short_seen = 0;
	int64_t stopped = r.result;
	for (size_t k = 2; k < r.nvals;) {
		int64_t res = r.vals[k + 1].i;
		k += 2;
		ops++;
		if (res < 0)
			break;
		int64_t count = r.vals[k++].i;
		if (count < RPC_MAX_DIRENTS)
			short_seen = 1;
		got += tally_entries(&r.vals[k], count, seen, &dup_or_bad);
		k += 4 * (size_t)count;
	}
	rpc_reply_free(&r);
	CHECK(stopped == -CANON_E2BIG && short_seen, "the COMPOUND ended with E2BIG after a short GETDENTS (%lld ops)",
	      (long long)ops);
	for (;;) {
		struct rpc_val a[] = { rpc_int(handle), rpc_int(RPC_MAX_DIRENTS) };
		if (rpc_call(&c, RPC_OP_GETDENTS, a, 2, &r))
			break;
		if (r.result <= 0) {
			rpc_reply_free(&r);
			break;
		}
		got += tally_entries(&r.vals[1], r.vals[0].i, seen, &dup_or_bad);
		rpc_reply_free(&r);
	}
	CHECK(got == 4000 && dup_or_bad == 0, "all 4000 entries seen once across the budget (%lld, %lld repeated)",
	      (long long)got, (long long)dup_or_bad);
out:
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "budget session ends cleanly");
}

static void test_refusals(void)
{
	struct session s;
	session_start(&s);
	hello(&s);
	send_hex(&s, "0000000000200001" "0000000000000001" "0000000000000002");
	CHECK(at_eof(&s), "length over RPC_MAX_FRAME: closed");
	CHECK_EQ_INT(session_end(&s), -E2BIG, "oversized frame: -E2BIG");

	session_start(&s);
	hello(&s);
	send_hex(&s, "000000000000000f" "0000000000000001" "00000000000002");
	CHECK(at_eof(&s), "length under 16: closed");
	CHECK_EQ_INT(session_end(&s), -EPROTO, "short frame: -EPROTO");

	session_start(&s);
	hello(&s);
	send_hex(&s, "0000000000000020" "0000000000000001" "0000000000000002");
	shutdown(s.fd, SHUT_WR);
	CHECK(at_eof(&s), "frame cut short by the hang-up: closed");
	CHECK_EQ_INT(session_end(&s), -EPROTO, "truncated frame: -EPROTO");

	/* CLOSE with a trailing byte. */
	session_start(&s);
	hello(&s);
	send_hex(&s, "0000000000000019" "0000000000000001" "0000000000000004" "0000000000000000" "00");
	CHECK(at_eof(&s), "trailing byte: closed");
	CHECK_EQ_INT(session_end(&s), -EPROTO, "trailing byte: -EPROTO");

	/* A path over RPC_MAX_PATH. */
	session_start(&s);
	hello(&s);
	send_hex(&s, "0000000000000020" "0000000000000001" "0000000000000024" "ffffffffffffff9c" "0000000000001001");
	CHECK(at_eof(&s), "path length 4097: closed");
	CHECK_EQ_INT(session_end(&s), -E2BIG, "path over its bound: -E2BIG");

	/* COMPOUND with 0 ops, with 33, with an unknown op, with a HELLO. */
	const char *bad_compounds[] = {
		"0000000000000018" "0000000000000001" "000000000000002c" "0000000000000000",
		"0000000000000018" "0000000000000001" "000000000000002c" "0000000000000021",
		"0000000000000028" "0000000000000001" "000000000000002c" "0000000000000001" "0000000000000063"
		"0000000000000000",
		"0000000000000020" "0000000000000001" "000000000000002c" "0000000000000001" "0000000000000001",
	};
	const char *why[] = { "0 ops", "33 ops", "an unknown op", "a HELLO" };
	for (int k = 0; k < 4; k++) {
		session_start(&s);
		hello(&s);
		send_hex(&s, bad_compounds[k]);
		CHECK(at_eof(&s), "COMPOUND with %s: closed", why[k]);
		CHECK_EQ_INT(session_end(&s), -EPROTO, "COMPOUND with %s: -EPROTO", why[k]);
	}
	/* A second HELLO. */
	session_start(&s);
	hello(&s);
	send_hex(&s, HELLO_X86);
	CHECK(at_eof(&s), "second HELLO: closed");
	CHECK_EQ_INT(session_end(&s), -EPROTO, "second HELLO: -EPROTO");
}

/* The client against a fake shadow: the test writes the shadow's bytes
 * into its end of a socketpair before the client reads them. */
static int fake_attach(struct rpc_conn *c, int *fake, const char *hello_reply)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	*fake = sv[1];
	uint8_t buf[512];
	size_t n = unhex(hello_reply, buf);
	if (rpc_write_full(sv[1], buf, n))
		return -EIO;
	int rc = rpc_attach(c, sv[0]);
	if (rc)
		rpc_close(c);
	return rc;
}

static void fake_send(int fd, const char *hex)
{
	uint8_t buf[512];
	size_t n = unhex(hex, buf);
	if (rpc_write_full(fd, buf, n))
		printf("# fake shadow: write failed\n");
}

#define REPLY_V1 "0000000000000036" "0000000000000000" "0000000000000001" "0000000000000000" \
	"0000000000000001" "0000000000000001" "0000000000000006" "7838365f3634"

static void test_client_refusals(void)
{
	struct rpc_conn c;
	struct rpc_reply r;
	int fake;
	CHECK_EQ_INT(fake_attach(&c, &fake, "000000000000003e" "0000000000000000" "0000000000000001" "0000000000000000"
				 "0000000000000003" "0000000000000001" "0000000000000006" "7838365f3634" "0000000000000000"),
		     -EPROTONOSUPPORT, "client: a shadow answering version 3 is refused");
	close(fake);
	CHECK_EQ_INT(fake_attach(&c, &fake, "0000000000000036" "0000000000000000" "0000000000000001" "0000000000000000"
				 "0000000000000002" "0000000000000001" "0000000000000006" "7838365f3634"), -EPROTO,
		     "client: a version 2 reply without its auth field is malformed");
	close(fake);
	CHECK_EQ_INT(fake_attach(&c, &fake, "0000000000000036" "0000000000000000" "0000000000000001" "0000000000000000"
				 "0000000000000001" "0000000000000003" "0000000000000006" "7838365f3634"), -EPROTONOSUPPORT,
		     "client: a feature it did not ask for is refused");
	close(fake);
	CHECK_EQ_INT(fake_attach(&c, &fake, "0000000000000018" "0000000000000000" "0000000000000001" "ffffffffffffffa3"),
		     -EPROTONOSUPPORT, "client: the shadow's EPROTONOSUPPORT comes back as the native errno");
	close(fake);
	CHECK_EQ_INT(fake_attach(&c, &fake, "0000000000000018" "0000000000000000" "0000000000000002" "0000000000000000"),
		     -EPROTO, "client: a NULL reply instead of HELLO's is refused");
	close(fake);

	CHECK_EQ_INT(fake_attach(&c, &fake, REPLY_V1), 0, "client: attach to the fake shadow");
	/* Replies for tags 2 and 1, in that order, before either is asked. */
	fake_send(fake, "0000000000000018" "0000000000000002" "0000000000000002" "0000000000000000");
	fake_send(fake, "0000000000000021" "0000000000000001" "0000000000000026" "0000000000000002"
			"0000000000000001" "2f");
	int64_t t1 = rpc_send(&c, RPC_OP_GETCWD, NULL, 0), t2 = rpc_send(&c, RPC_OP_NULL, NULL, 0);
	CHECK(rpc_recv(&c, t1, &r) == 0 && r.op == RPC_OP_GETCWD && r.result == 2 && r.nvals == 1 && r.vals[0].p[0] == '/',
	      "client: the reply to tag 1 found behind tag 2's");
	rpc_reply_free(&r);
	CHECK(rpc_recv(&c, t2, &r) == 0 && r.op == RPC_OP_NULL && r.result == 0, "client: tag 2's reply kept for it");
	rpc_reply_free(&r);
	/* A reply whose op is not the request's. */
	fake_send(fake, "0000000000000018" "0000000000000003" "0000000000000004" "0000000000000000");
	CHECK_EQ_INT(rpc_call(&c, RPC_OP_NULL, NULL, 0, &r), -EPROTO, "client: a reply with another op is refused");
	/* A COMPOUND reply that goes on after a failed op. */
	fake_send(fake, "0000000000000040" "0000000000000004" "000000000000002c" "0000000000000000" "0000000000000002"
			"0000000000000002" "fffffffffffffffe" "0000000000000002" "0000000000000000");
	struct rpc_call nulls[2] = { { RPC_OP_NULL, 0, NULL }, { RPC_OP_NULL, 0, NULL } };
	int64_t t4 = rpc_send_compound(&c, nulls, 2);
	CHECK_EQ_INT(rpc_recv(&c, t4, &r), -EPROTO, "client: a COMPOUND reply going on after a failure is refused");
	/* A length over RPC_MAX_FRAME. */
	fake_send(fake, "0000000000200001" "0000000000000005" "0000000000000002");
	CHECK_EQ_INT(rpc_call(&c, RPC_OP_NULL, NULL, 0, &r), -E2BIG, "client: an oversized reply is refused");
	rpc_close(&c);
	close(fake);

	CHECK_EQ_INT(fake_attach(&c, &fake, REPLY_V1), 0, "client: attach again");
	fake_send(fake, "0000000000000020" "0000000000000001" "0000000000000002");
	shutdown(fake, SHUT_WR);
	CHECK_EQ_INT(rpc_call(&c, RPC_OP_NULL, NULL, 0, &r), -EPROTO, "client: a reply cut short by the hang-up is refused");
	rpc_close(&c);
	close(fake);
	CHECK_EQ_INT(fake_attach(&c, &fake, REPLY_V1), 0, "client: attach once more");
	shutdown(fake, SHUT_WR);
	CHECK_EQ_INT(rpc_call(&c, RPC_OP_NULL, NULL, 0, &r), -ECONNRESET, "client: a hang-up between frames is ECONNRESET");
	rpc_close(&c);
	close(fake);
}


/* The client's figures (splitrun --stats): requests, ops, bytes each way,
 * and round trips, which count waits that no earlier wait overlapped. */
static void test_client_stats(void)
{
	struct session s;
	struct rpc_conn c;
	struct rpc_reply r;
	struct rpc_stats st;
	session_start(&s);
	CHECK_EQ_INT(rpc_attach(&c, dup(s.fd)), 0, "stats: attach");
	rpc_get_stats(&c, &st);
	CHECK(st.requests == 1 && st.ops[RPC_OP_HELLO] == 1 && st.round_trips == 1,
	      "the handshake: one request, one round trip (%lu, %lu)", st.requests, st.round_trips);
	CHECK_EQ_INT(st.bytes_sent, 8 + 56 + strlen(rpc_host_arch()), "the HELLO's bytes sent");
	/* length, tag, op, result, version, features, arch, an empty auth field */
	CHECK_EQ_INT(st.bytes_received, 8 * 8 + strlen(rpc_host_arch()), "the HELLO reply's bytes received");
	int64_t t[3];
	for (int k = 0; k < 3; k++)
		t[k] = rpc_send(&c, RPC_OP_NULL, NULL, 0);
	for (int k = 0; k < 3; k++) {
		CHECK(rpc_recv(&c, t[k], &r) == 0 && r.result == 0, "stats: NULL %d of three sent together", k + 1);
		rpc_reply_free(&r);
	}
	struct rpc_stats st2;
	rpc_get_stats(&c, &st2);
	CHECK_EQ_INT(st2.round_trips - st.round_trips, 1, "three requests sent, then awaited: one round trip");
	CHECK_EQ_INT(st2.requests - st.requests, 3, "three requests");
	CHECK_EQ_INT(st2.bytes_sent - st.bytes_sent, 3 * 24, "three NULL frames sent (24 bytes each)");
	CHECK_EQ_INT(st2.bytes_received - st.bytes_received, 3 * 32, "three NULL replies received (32 bytes each)");
	for (int k = 0; k < 2; k++) {
		CHECK(rpc_call(&c, RPC_OP_NULL, NULL, 0, &r) == 0, "stats: NULL waited for alone (%d)", k + 1);
		rpc_reply_free(&r);
	}
	rpc_get_stats(&c, &st);
	CHECK_EQ_INT(st.round_trips - st2.round_trips, 2, "two requests each awaited before the next: two round trips");
	/* A reply consumed later: the wait for a newer request covers it. */
	int64_t early = rpc_send(&c, RPC_OP_NULL, NULL, 0), late = rpc_send(&c, RPC_OP_NULL, NULL, 0);
	CHECK(rpc_recv_next(&c, late, &r) == 0 && r.tag == early, "rpc_recv_next: the oldest reply first");
	rpc_reply_free(&r);
	CHECK(rpc_recv_next(&c, late, &r) == 0 && r.tag == late, "rpc_recv_next: then the one waited for");
	rpc_reply_free(&r);
	rpc_get_stats(&c, &st2);
	CHECK_EQ_INT(st2.round_trips - st.round_trips, 1, "one wait however many replies it takes in");
	CHECK(!rpc_reply_ready(&c), "nothing in flight: no reply ready");
	struct rpc_call calls[2] = { { RPC_OP_NULL, 0, NULL }, { RPC_OP_GETCWD, 0, NULL } };
	int64_t tc = rpc_send_compound(&c, calls, 2);
	CHECK(rpc_recv(&c, tc, &r) == 0 && r.result == 2, "a COMPOUND of NULL and GETCWD");
	rpc_reply_free(&r);
	rpc_get_stats(&c, &st);
	CHECK(st.ops[RPC_OP_COMPOUND] == 1 && st.ops[RPC_OP_NULL] == st2.ops[RPC_OP_NULL] + 1 &&
	      st.ops[RPC_OP_GETCWD] == 1, "its ops count one each, and one COMPOUND");
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "stats: session ends cleanly");
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "not ok - a send blocked while the shadow waited to send replies (deadlock)\n";
	(void)!write(1, msg, sizeof msg - 1);
	_exit(1);
}

/* Many large replies requested and large requests sent before any reply is
 * read: a send that cannot go on reads what arrives meanwhile, else both
 * sides would wait for each other forever (socket buffers are far smaller
 * than what is in flight). */
static void test_send_drains(void)
{
	char path[sizeof dir + 16];
	snprintf(path, sizeof path, "%s/mib", dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	static uint8_t block[RPC_MAX_BUF];
	memset(block, 'm', sizeof block);
	CHECK(fd >= 0 && write(fd, block, sizeof block) == (ssize_t)sizeof block, "a 1 MiB file to read");
	if (fd >= 0)
		close(fd);
	struct session s;
	struct rpc_conn c;
	struct rpc_reply r;
	session_start(&s);
	CHECK_EQ_INT(rpc_attach(&c, dup(s.fd)), 0, "drain: attach");
	struct rpc_val open_r[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("mib"), rpc_int(0), rpc_int(0), rpc_int(0), rpc_int(0) };
	struct rpc_val open_w[] = { rpc_int(RPC_HANDLE_CWD), rpc_str("out"), rpc_int(CANON_O_WRONLY | CANON_O_CREAT),
				    rpc_int(0644), rpc_int(0), rpc_int(0) };
	CHECK(rpc_call(&c, RPC_OP_OPEN, open_r, 6, &r) == 0 && r.result == 0, "handle 0 reads");
	rpc_reply_free(&r);
	CHECK(rpc_call(&c, RPC_OP_OPEN, open_w, 6, &r) == 0 && r.result == 1, "handle 1 writes");
	rpc_reply_free(&r);
	signal(SIGALRM, on_alarm);
	alarm(30);
	enum { N = 12 };
	int64_t reads[N], writes[N];
	for (int k = 0; k < N; k++) {
		struct rpc_val pr[] = { rpc_int(0), rpc_int(RPC_MAX_BUF), rpc_int(0) };
		reads[k] = rpc_send(&c, RPC_OP_PREAD, pr, 3);
	}
	for (int k = 0; k < N; k++) {
		struct rpc_val pw[] = { rpc_int(1), rpc_buf(block, sizeof block), rpc_int((int64_t)k * RPC_MAX_BUF) };
		writes[k] = rpc_send(&c, RPC_OP_PWRITE, pw, 3);
	}
	alarm(0);
	CHECK(reads[N - 1] > 0 && writes[N - 1] > 0, "%d MiB asked for and %d MiB sent without reading a reply", N, N);
	int good = 0;
	for (int k = 0; k < N; k++) {
		good += rpc_recv(&c, reads[k], &r) == 0 && r.result == RPC_MAX_BUF && r.vals[0].p[RPC_MAX_BUF - 1] == 'm';
		rpc_reply_free(&r);
	}
	for (int k = 0; k < N; k++) {
		good += rpc_recv(&c, writes[k], &r) == 0 && r.result == RPC_MAX_BUF;
		rpc_reply_free(&r);
	}
	CHECK_EQ_INT(good, 2 * N, "every read and every write answered in full");
	rpc_close(&c);
	CHECK_EQ_INT(session_end(&s), 0, "drain: session ends cleanly");
}

static int make_tree(void)
{
	if (!mkdtemp(dir))
		return -1;
	char p[sizeof dir + 64];
	snprintf(p, sizeof p, "%s/f", dir);
	int fd = open(p, O_CREAT | O_WRONLY, 0640);
	if (fd < 0 || write(fd, "hello", 5) != 5 || fchmod(fd, 0640) < 0)
		return -1;
	close(fd);
	snprintf(p, sizeof p, "%s/big", dir);
	if ((fd = open(p, O_CREAT | O_WRONLY, 0600)) < 0 || ftruncate(fd, 3 * RPC_MAX_BUF) < 0)
		return -1;
	close(fd);
	snprintf(p, sizeof p, "%s/many", dir);
	if (mkdir(p, 0700) < 0)
		return -1;
	int dfd = open(p, O_DIRECTORY | O_PATH);
	char name[256];
	memset(name, 'n', 245);
	for (int k = 0; k < 4000; k++) {
		snprintf(name + 245, sizeof name - 245, "-%04d", k);   /* 250 bytes */
		int f = openat(dfd, name, O_CREAT | O_WRONLY, 0600);
		if (f < 0)
			return -1;
		close(f);
	}
	close(dfd);
	return shadow_root_open(&root, dir);
}

static void remove_tree(void)
{
	char cmd[sizeof dir + 16];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* A TCP listener on loopback (port in *PORT) that accepts only when asked. */
static int listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		perror("listener");
		exit(2);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

struct server {
	pthread_t thread;
	int lfd;
	volatile int stop;
};

/* Serves each connection in turn (the first may be one given up already)
 * until told to stop. */
static void *accept_and_serve(void *p)
{
	struct server *a = p;
	while (!a->stop) {
		struct pollfd pf = { .fd = a->lfd, .events = POLLIN };
		if (poll(&pf, 1, 50) <= 0)
			continue;
		int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			shadow_session_run(&root, fd);
	}
	return NULL;
}

static int64_t ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* rpc_connect_within: the time limit covers the handshake (a listener that
 * never answers), a closed port fails at once, and a shadow that answers
 * gives a session. */
static void test_connect_within(void)
{
	int port, lfd = listener(&port);
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	struct rpc_conn c;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = rpc_connect_within(&c, addr, NULL, 300);
	int64_t took = ms_since(&t0);
	CHECK_EQ_INT(rc, -ETIMEDOUT, "connect_within: a listener that never answers the handshake");
	CHECK(took >= 250 && took < 3000, "connect_within: given up after the 300 ms asked (took %lld ms)", (long long)took);
	CHECK(strstr(c.why, "no answer to the handshake within 0.3 s") != NULL, "connect_within: why says so: %s", c.why);

	struct server a = { .lfd = lfd };
	pthread_create(&a.thread, NULL, accept_and_serve, &a);
	rc = rpc_connect_within(&c, addr, NULL, 5000);
	CHECK_EQ_INT(rc, 0, "connect_within: a shadow that answers gives a session");
	struct rpc_reply r;
	CHECK(rc == 0 && rpc_call(&c, RPC_OP_NULL, NULL, 0, &r) == 0 && r.result == 0, "connect_within: and it serves");
	if (rc == 0) {
		rpc_reply_free(&r);
		rpc_close(&c);
	}
	a.stop = 1;
	pthread_join(a.thread, NULL);
	close(lfd);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = rpc_connect_within(&c, addr, NULL, 5000);
	took = ms_since(&t0);
	CHECK_EQ_INT(rc, -ECONNREFUSED, "connect_within: nobody listening");
	CHECK(took < 1000, "connect_within: refused at once, not after the time asked (took %lld ms)", (long long)took);
}

int main(void)
{
	shadow_log_open(NULL);
	int rc = make_tree();
	CHECK_EQ_INT(rc, 0, "test tree under %s", dir);
	if (rc == 0) {
		test_handshake();
		test_golden_replies();
		test_pipelined();
		test_flock();
		test_kernel_answers();
		test_data_budget();
		test_refusals();
		test_client_stats();
		test_send_drains();
		test_connect_within();
	}
	test_client_refusals();
	remove_tree();
	return check_done();
}
