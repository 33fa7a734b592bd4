/* rpc/auth.h: shared keys and the cryptography of the handshake
 * (docs/wire-format.md, "Authentication"). Owns the key file format, key
 * ids, the AUTH fields of HELLO and its reply, the transcript hash, the
 * proofs each side gives, and the per-direction session keys. The sealed
 * frames that follow the handshake are rpc/seal.h's. Every primitive is
 * libsodium's; nothing here is cryptography of our own. */
#ifndef SPLITRUN_RPC_AUTH_H
#define SPLITRUN_RPC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc/wire.h"

#define RPC_KEY_BYTES      32   /* the shared secret */
#define RPC_KEY_ID_BYTES   8    /* a public name for it */
#define RPC_KEY_NAME_LEN   (4 + 2 * RPC_KEY_ID_BYTES)   /* "key:" and 16 hex digits */
#define RPC_AUTH_NONCE     32
#define RPC_AUTH_PROOF     32
#define RPC_AUTH_HEADER    24   /* a sealed stream's header (rpc/seal.h) */
#define RPC_AUTH_SCHEME    1    /* the only scheme: shared key, HMAC proofs, XChaCha20-Poly1305 streams */
#define RPC_MAX_USER       32   /* the user name an agent claims */
#define RPC_KEY_FILE_MAX   4096 /* a key file is small; anything bigger is not one */

/* A shared key; name is what logs, messages and authfiles call it. */
struct rpc_key {
	uint8_t secret[RPC_KEY_BYTES];
	uint8_t id[RPC_KEY_ID_BYTES];
	char name[RPC_KEY_NAME_LEN + 1];   /* "key:0123456789abcdef" */
};

/* libsodium's initialisation; 0, or -1 when it cannot run (no entropy). */
int rpc_crypto_init(void);

/* Writes a fresh key to path: created (never overwritten) with mode 0600.
 * Returns 0 or a negative errno with a message in err. */
int rpc_key_generate(const char *path, struct rpc_key *k, char *err, size_t errsize);
/* Reads a key file: a regular file, not readable or writable by group or
 * others, holding one line "splitrun-key-1 HEX64" (and # comments).
 * Returns 0 or a negative errno with a message in err. */
int rpc_key_load(const char *path, struct rpc_key *k, char *err, size_t errsize);
/* The same for the text of a key file (len bytes). */
int rpc_key_parse(const char *text, size_t len, struct rpc_key *k, char *err, size_t errsize);
/* Sets id and name from secret. */
void rpc_key_derive_id(struct rpc_key *k);
void rpc_key_wipe(struct rpc_key *k);

/* A user name an agent may claim: 1 to RPC_MAX_USER of [A-Za-z0-9._-]. */
bool rpc_user_valid(const char *user, size_t len);
/* This process's user name if it is valid, else "uid" and the number. */
void rpc_user_self(char out[RPC_MAX_USER + 1]);

/* The agent's part of HELLO's auth field. */
struct rpc_auth_hello {
	int64_t scheme;
	uint8_t key_id[RPC_KEY_ID_BYTES];
	uint8_t nonce[RPC_AUTH_NONCE];
	char user[RPC_MAX_USER + 1];
};
/* The shadow's part of the HELLO reply's auth field. */
struct rpc_auth_challenge {
	uint8_t nonce[RPC_AUTH_NONCE];
	uint8_t proof[RPC_AUTH_PROOF];
};

/* Encode into out (RPC_MAX_AUTH bytes); return the length. */
size_t rpc_auth_hello_encode(const struct rpc_auth_hello *a, uint8_t *out);
size_t rpc_auth_challenge_encode(const struct rpc_auth_challenge *c, uint8_t *out);
/* Decode an auth field; -EPROTO when it is not one (a wrong length, an
 * invalid user name, trailing bytes). The scheme is not checked. */
int rpc_auth_hello_decode(const uint8_t *p, size_t len, struct rpc_auth_hello *a);
int rpc_auth_challenge_decode(const uint8_t *p, size_t len, struct rpc_auth_challenge *c);

/* The transcript hash: the agent's HELLO frame as sent (tag to auth, no
 * length field), then the reply's version, features, arch and the
 * shadow's nonce, each in wire form. */
void rpc_auth_transcript(const uint8_t *hello_frame, size_t hello_len, int64_t version, int64_t features,
			 const char *arch, const uint8_t nonce_s[RPC_AUTH_NONCE], uint8_t th[32]);

enum rpc_auth_role { RPC_ROLE_AGENT, RPC_ROLE_SHADOW };
void rpc_auth_proof(const struct rpc_key *k, enum rpc_auth_role role, const uint8_t th[32],
		    uint8_t proof[RPC_AUTH_PROOF]);
/* Constant-time check of a proof. */
bool rpc_auth_proof_ok(const struct rpc_key *k, enum rpc_auth_role role, const uint8_t th[32],
		       const uint8_t proof[RPC_AUTH_PROOF]);
/* The two stream keys of a session, agent to shadow and shadow to agent. */
void rpc_auth_session_keys(const struct rpc_key *k, const uint8_t th[32], uint8_t to_shadow[RPC_KEY_BYTES],
			   uint8_t to_agent[RPC_KEY_BYTES]);

void rpc_random(void *p, size_t n);
void rpc_wipe(void *p, size_t n);

#endif
