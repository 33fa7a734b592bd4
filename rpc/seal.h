/* rpc/seal.h: sealed frames (docs/wire-format.md, "Sealed frames"). After
 * an authenticated handshake every frame travels as its length field, then
 * the frame's tag, op and body encrypted and authenticated with one
 * libsodium crypto_secretstream_xchacha20poly1305 stream per direction, the
 * length field being the message's additional data. A frame that was
 * altered, dropped, reordered or replayed does not open, and the session
 * ends. Owns the stream states and the buffers of sealed and opened bytes;
 * the framing above it (tags, ops, pipelining) does not change. */
#ifndef SPLITRUN_RPC_SEAL_H
#define SPLITRUN_RPC_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define RPC_SEAL_ABYTES  17   /* crypto_secretstream_xchacha20poly1305_ABYTES */
#define RPC_SEAL_HEADER  24   /* crypto_secretstream_xchacha20poly1305_HEADERBYTES */
#define RPC_SEAL_KEY     32

struct rpc_seal;

/* A stream that seals (push: a fresh header is written to header) or
 * opens (pull: with the peer's header). NULL when out of memory or, for a
 * pull, the header is not usable. */
struct rpc_seal *rpc_seal_push(const uint8_t key[RPC_SEAL_KEY], uint8_t header[RPC_SEAL_HEADER]);
struct rpc_seal *rpc_seal_pull(const uint8_t key[RPC_SEAL_KEY], const uint8_t header[RPC_SEAL_HEADER]);
void rpc_seal_free(struct rpc_seal *s);

/* Seals data, a sequence of whole plain frames (each with its length
 * field), in order. *out (valid until the next call) holds the sealed
 * frames. Returns 0, -EPROTO when data is not whole frames, or -ENOMEM. */
int rpc_seal_frames(struct rpc_seal *s, const uint8_t *data, size_t len, const uint8_t **out, size_t *out_len);

/* Opens one sealed frame: len_field is its length field as received and
 * c its clen bytes. *m (valid until the next call) is the plain frame
 * without its length field. Returns 0, -EPROTO for a length no sealed
 * frame has, -EBADMSG when it does not authenticate, or -ENOMEM. */
int rpc_seal_open(struct rpc_seal *s, const uint8_t len_field[8], const uint8_t *c, size_t clen, const uint8_t **m,
		  size_t *mlen);

/* Checks a sealed frame's length field: 0, -EPROTO (too short for a
 * frame) or -E2BIG (its frame would be over RPC_MAX_FRAME). */
int rpc_seal_len_ok(int64_t len);

/* Frames this stream has sealed or opened. */
uint64_t rpc_seal_count(const struct rpc_seal *s);

#endif
