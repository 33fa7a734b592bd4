/* rpc/auth.c: shared keys and the handshake's cryptography, all of it
 * libsodium's: BLAKE2b (key ids, the transcript, session keys), its KDF,
 * HMAC-SHA-512-256 (proofs), getrandom-backed randombytes (nonces, keys). */
#include "rpc/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_LINE_TAG  "splitrun-key-1"
#define KDF_CONTEXT   "SPLITRUN"     /* crypto_kdf_CONTEXTBYTES = 8 */
#define KDF_PROOF_KEY 1
#define KDF_SESSION   2

int rpc_crypto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void rpc_random(void *p, size_t n)
{
	randombytes_buf(p, n);
}

void rpc_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void rpc_key_derive_id(struct rpc_key *k)
{
	static const uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES] = "splitrun-key-id";
	crypto_generichash_blake2b_salt_personal(k->id, sizeof k->id, k->secret, sizeof k->secret, NULL, 0, NULL,
						 personal);
	memcpy(k->name, "key:", 4);
	rpc_hex(k->id, sizeof k->id, k->name + 4);
}

void rpc_key_wipe(struct rpc_key *k)
{
	sodium_memzero(k, sizeof *k);
}

static int hex_digit(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int rpc_key_parse(const char *text, size_t len, struct rpc_key *k, char *err, size_t errsize)
{
	memset(k, 0, sizeof *k);
	bool found = false;
	int lineno = 0;
	for (size_t at = 0; at < len;) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at;
		at += n + (nl != NULL);
		lineno++;
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		size_t tag = strlen(KEY_LINE_TAG);
		size_t p = tag;
		if (n < tag || memcmp(line, KEY_LINE_TAG, tag) != 0 || p >= n || (line[p] != ' ' && line[p] != '\t'))
			return fail(err, errsize, "line %d is not a key line (want '" KEY_LINE_TAG "' and 64 hex digits)",
				    lineno);
		while (p < n && (line[p] == ' ' || line[p] == '\t'))
			p++;
		if (n - p != 2 * RPC_KEY_BYTES)
			return fail(err, errsize, "line %d: the key has %zu characters, not %d hex digits", lineno, n - p,
				    2 * RPC_KEY_BYTES);
		if (found)
			return fail(err, errsize, "line %d: a second key (a key file holds one)", lineno);
		for (size_t i = 0; i < RPC_KEY_BYTES; i++) {
			int hi = hex_digit((unsigned char)line[p + 2 * i]), lo = hex_digit((unsigned char)line[p + 2 * i + 1]);
			if (hi < 0 || lo < 0) {
				sodium_memzero(k, sizeof *k);
				return fail(err, errsize, "line %d: the key is not 64 hex digits", lineno);
			}
			k->secret[i] = (uint8_t)(hi << 4 | lo);
		}
		found = true;
	}
	if (!found)
		return fail(err, errsize, "holds no key (want a line '" KEY_LINE_TAG
			    "' and 64 hex digits; splitrun-shadow --keygen FILE makes one)");
	rpc_key_derive_id(k);
	return 0;
}

int rpc_key_load(const char *path, struct rpc_key *k, char *err, size_t errsize)
{
	memset(k, 0, sizeof *k);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errsize, "%s", strerror(e));
		return -e;
	}
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errsize, "%s", strerror(-rc));
	} else if (!S_ISREG(st.st_mode)) {
		rc = fail(err, errsize, "not a regular file");
	} else if (st.st_mode & 077) {
		rc = fail(err, errsize, "is open to group or others (mode %04o); a key must be private: chmod 600 %s",
			  (unsigned)(st.st_mode & 07777), path);
	} else if (st.st_size > RPC_KEY_FILE_MAX) {
		rc = fail(err, errsize, "%lld bytes is too big for a key file", (long long)st.st_size);
	}
	char text[RPC_KEY_FILE_MAX + 1];
	ssize_t n = 0;
	if (!rc) {
		n = read(fd, text, sizeof text);
		if (n < 0) {
			rc = -errno;
			snprintf(err, errsize, "%s", strerror(-rc));
		} else if (n > RPC_KEY_FILE_MAX) {
			rc = fail(err, errsize, "too big for a key file");
		}
	}
	close(fd);
	if (!rc)
		rc = rpc_key_parse(text, (size_t)n, k, err, errsize);
	sodium_memzero(text, sizeof text);
	return rc;
}

int rpc_key_generate(const char *path, struct rpc_key *k, char *err, size_t errsize)
{
	memset(k, 0, sizeof *k);
	randombytes_buf(k->secret, sizeof k->secret);
	rpc_key_derive_id(k);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;
		if (e == EEXIST)
			snprintf(err, errsize, "exists; a key is never overwritten: remove it first or choose another name");
		else
			snprintf(err, errsize, "%s", strerror(e));
		rpc_key_wipe(k);
		return -e;
	}
	char hex[2 * RPC_KEY_BYTES + 1];
	rpc_hex(k->secret, sizeof k->secret, hex);
	char text[512];
	int len = snprintf(text, sizeof text,
			   "# splitrun key %s\n"
			   "# Keep it secret: whoever holds this file can use every shadow that accepts it.\n"
			   KEY_LINE_TAG " %s\n", k->name, hex);
	int rc = 0;
	/* umask may have left fewer bits; a key is exactly owner read-write. */
	if (fchmod(fd, 0600) < 0 || write(fd, text, (size_t)len) != len || fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	sodium_memzero(hex, sizeof hex);
	sodium_memzero(text, sizeof text);
	if (rc) {
		snprintf(err, errsize, "%s", strerror(-rc));
		unlink(path);
		rpc_key_wipe(k);
	}
	return rc;
}

bool rpc_user_valid(const char *user, size_t len)
{
	if (len == 0 || len > RPC_MAX_USER)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = user[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

void rpc_user_self(char out[RPC_MAX_USER + 1])
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res && rpc_user_valid(res->pw_name, strlen(res->pw_name))) {
		snprintf(out, RPC_MAX_USER + 1, "%s", res->pw_name);
		return;
	}
	snprintf(out, RPC_MAX_USER + 1, "uid%u", (unsigned)getuid());
}

/* ---- the auth fields ---- */

static size_t take(struct rpc_enc *e, uint8_t *out)
{
	size_t n = e->error ? 0 : e->len;
	if (n)
		memcpy(out, e->data, n);
	sodium_memzero(e->data, e->cap);
	rpc_enc_free(e);
	return n;
}

size_t rpc_auth_hello_encode(const struct rpc_auth_hello *a, uint8_t *out)
{
	struct rpc_enc e;
	rpc_enc_init(&e);
	rpc_put_i64(&e, a->scheme);
	rpc_put_bytes(&e, a->key_id, sizeof a->key_id, RPC_KEY_ID_BYTES);
	rpc_put_bytes(&e, a->nonce, sizeof a->nonce, RPC_AUTH_NONCE);
	rpc_put_str(&e, a->user, RPC_MAX_USER);
	return take(&e, out);
}

size_t rpc_auth_challenge_encode(const struct rpc_auth_challenge *c, uint8_t *out)
{
	struct rpc_enc e;
	rpc_enc_init(&e);
	rpc_put_bytes(&e, c->nonce, sizeof c->nonce, RPC_AUTH_NONCE);
	rpc_put_bytes(&e, c->proof, sizeof c->proof, RPC_AUTH_PROOF);
	return take(&e, out);
}

/* A buffer of exactly n bytes. */
static bool get_exact(struct rpc_dec *d, uint8_t *out, size_t n)
{
	struct rpc_val v = rpc_get_bytes(d, n);
	if (d->error || (size_t)v.i != n)
		return false;
	memcpy(out, v.p, n);
	return true;
}

int rpc_auth_hello_decode(const uint8_t *p, size_t len, struct rpc_auth_hello *a)
{
	struct rpc_dec d;
	memset(a, 0, sizeof *a);
	rpc_dec_init(&d, p, len);
	a->scheme = rpc_get_i64(&d);
	if (d.error || !get_exact(&d, a->key_id, sizeof a->key_id) || !get_exact(&d, a->nonce, sizeof a->nonce))
		return -EPROTO;
	struct rpc_val u = rpc_get_bytes(&d, RPC_MAX_USER);
	if (d.error || d.pos != d.len || !rpc_user_valid((const char *)u.p, (size_t)u.i))
		return -EPROTO;
	memcpy(a->user, u.p, (size_t)u.i);
	a->user[u.i] = 0;
	return 0;
}

int rpc_auth_challenge_decode(const uint8_t *p, size_t len, struct rpc_auth_challenge *c)
{
	struct rpc_dec d;
	rpc_dec_init(&d, p, len);
	if (!get_exact(&d, c->nonce, sizeof c->nonce) || !get_exact(&d, c->proof, sizeof c->proof) || d.pos != d.len)
		return -EPROTO;
	return 0;
}

/* ---- transcript, proofs, session keys ---- */

void rpc_auth_transcript(const uint8_t *hello_frame, size_t hello_len, int64_t version, int64_t features,
			 const char *arch, const uint8_t nonce_s[RPC_AUTH_NONCE], uint8_t th[32])
{
	struct rpc_enc e;
	rpc_enc_init(&e);
	rpc_put_i64(&e, version);
	rpc_put_i64(&e, features);
	rpc_put_str(&e, arch, RPC_MAX_ARCH);
	rpc_put_bytes(&e, nonce_s, RPC_AUTH_NONCE, RPC_AUTH_NONCE);
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, hello_frame, hello_len);
	crypto_generichash_update(&st, e.data, e.error ? 0 : e.len);
	crypto_generichash_final(&st, th, 32);
	rpc_enc_free(&e);
}

static void subkey(const struct rpc_key *k, uint64_t id, uint8_t out[32])
{
	crypto_kdf_derive_from_key(out, 32, id, KDF_CONTEXT, k->secret);
}

void rpc_auth_proof(const struct rpc_key *k, enum rpc_auth_role role, const uint8_t th[32], uint8_t out[RPC_AUTH_PROOF])
{
	static const char agent[] = "splitrun agent proof", shadow[] = "splitrun shadow proof";
	const char *label = role == RPC_ROLE_AGENT ? agent : shadow;
	size_t label_len = role == RPC_ROLE_AGENT ? sizeof agent - 1 : sizeof shadow - 1;
	uint8_t key[32];
	subkey(k, KDF_PROOF_KEY, key);
	crypto_auth_hmacsha512256_state st;
	crypto_auth_hmacsha512256_init(&st, key, sizeof key);
	crypto_auth_hmacsha512256_update(&st, (const uint8_t *)label, label_len);
	crypto_auth_hmacsha512256_update(&st, th, 32);
	crypto_auth_hmacsha512256_final(&st, out);
	sodium_memzero(key, sizeof key);
	sodium_memzero(&st, sizeof st);
}

bool rpc_auth_proof_ok(const struct rpc_key *k, enum rpc_auth_role role, const uint8_t th[32],
		       const uint8_t proof[RPC_AUTH_PROOF])
{
	uint8_t want[RPC_AUTH_PROOF];
	rpc_auth_proof(k, role, th, want);
	bool ok = sodium_memcmp(want, proof, RPC_AUTH_PROOF) == 0;
	sodium_memzero(want, sizeof want);
	return ok;
}

void rpc_auth_session_keys(const struct rpc_key *k, const uint8_t th[32], uint8_t to_shadow[RPC_KEY_BYTES],
			   uint8_t to_agent[RPC_KEY_BYTES])
{
	uint8_t key[32], both[2 * RPC_KEY_BYTES];
	subkey(k, KDF_SESSION, key);
	crypto_generichash(both, sizeof both, th, 32, key, sizeof key);
	memcpy(to_shadow, both, RPC_KEY_BYTES);
	memcpy(to_agent, both + RPC_KEY_BYTES, RPC_KEY_BYTES);
	sodium_memzero(key, sizeof key);
	sodium_memzero(both, sizeof both);
}
