#!/usr/bin/env python3
"""tools/auth-vectors.py: computes the worked example of an authenticated
handshake in docs/wire-format.md ("Authentication") from first principles,
without libsodium: BLAKE2b and HMAC-SHA-512 from Python's hashlib, ChaCha20
and Poly1305 from the `cryptography` package (python3-cryptography), and
HChaCha20 and libsodium's secretstream construction written out here. The
C code (rpc/auth.c, rpc/seal.c, libsodium) must produce the same bytes:
tests/unit/rpc_auth.c checks that every block of the example is what it
computes. Run by hand when the example changes; prints the blocks."""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.poly1305 import Poly1305


def i64(v):
    return struct.pack(">q", v)


def buf(b):
    return i64(len(b)) + b


SECRET = bytes(range(0x00, 0x20))
NONCE_A = bytes(range(0x20, 0x40))
NONCE_S = bytes(range(0x40, 0x60))
HEADER_A = bytes(range(0x60, 0x78))
HEADER_S = bytes(range(0x80, 0x98))
USER = b"fred"


def kdf(key, subkey_id, ctx=b"SPLITRUN", n=32):
    # crypto_kdf_derive_from_key: BLAKE2b keyed with the master key, the
    # subkey id in the salt, the context in the personalization.
    return hashlib.blake2b(b"", digest_size=n, key=key, salt=struct.pack("<Q", subkey_id) + bytes(8),
                           person=ctx + bytes(8)).digest()


key_id = hashlib.blake2b(SECRET, digest_size=8, person=b"splitrun-key-id\0").digest()

auth_hello = i64(1) + buf(key_id) + buf(NONCE_A) + buf(USER)
hello_frame = i64(0) + i64(1) + i64(0x53504C4954525043) + i64(2) + i64(3) + buf(b"x86_64") + buf(auth_hello)
th = hashlib.blake2b(hello_frame + i64(2) + i64(3) + buf(b"aarch64") + buf(NONCE_S), digest_size=32).digest()
proof_key = kdf(SECRET, 1)
proof_s = hmac.new(proof_key, b"splitrun shadow proof" + th, hashlib.sha512).digest()[:32]
proof_a = hmac.new(proof_key, b"splitrun agent proof" + th, hashlib.sha512).digest()[:32]
both = hashlib.blake2b(th, digest_size=64, key=kdf(SECRET, 2)).digest()
to_shadow, to_agent = both[:32], both[32:]

hello_reply = i64(0) + i64(1) + i64(0) + i64(2) + i64(3) + buf(b"aarch64") + buf(buf(NONCE_S) + buf(proof_s))
auth = i64(0) + i64(46) + buf(proof_a) + buf(HEADER_A)
auth_reply = i64(0) + i64(46) + i64(0) + buf(HEADER_S)


def rotl(v, n):
    return ((v << n) | (v >> (32 - n))) & 0xFFFFFFFF


def hchacha20(key, inp):
    x = list(struct.unpack("<4I", b"expand 32-byte k")) + list(struct.unpack("<8I", key)) + list(
        struct.unpack("<4I", inp))

    def qr(a, b, c, d):
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = rotl(x[b] ^ x[c], 7)

    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<8I", *(x[0:4] + x[12:16]))


def chacha20_xor(key, nonce12, counter, data):
    enc = Cipher(algorithms.ChaCha20(key, struct.pack("<I", counter) + nonce12), mode=None).encryptor()
    return enc.update(data)


def secretstream_push(key, header, m, ad, tag=0):
    """The first message of a secretstream_xchacha20poly1305 stream."""
    k = hchacha20(key, header[:16])
    nonce = struct.pack("<I", 1) + header[16:24]
    poly = Poly1305(chacha20_xor(k, nonce, 0, bytes(64))[:32])
    poly.update(ad + bytes((0x10 - len(ad)) & 0xF))
    block = chacha20_xor(k, nonce, 1, bytes([tag]) + bytes(63))
    poly.update(block)
    c = chacha20_xor(k, nonce, 2, m)
    poly.update(c + bytes((0x10 - 64 + len(m)) & 0xF))
    poly.update(struct.pack("<Q", len(ad)) + struct.pack("<Q", 64 + len(m)))
    return block[:1] + c + poly.finalize()


null_frame = i64(1) + i64(2)                      # tag 1, op 2 NULL
sealed_len = i64(len(null_frame) + 17)
sealed_null = sealed_len + secretstream_push(to_shadow, HEADER_A, null_frame, sealed_len)
null_reply = i64(1) + i64(2) + i64(0)
sealed_reply_len = i64(len(null_reply) + 17)
sealed_null_reply = sealed_reply_len + secretstream_push(to_agent, HEADER_S, null_reply, sealed_reply_len)

for name, value in [("secret", SECRET), ("key id", key_id), ("transcript", th), ("proof key", proof_key),
                    ("shadow proof", proof_s), ("agent proof", proof_a), ("to shadow", to_shadow),
                    ("to agent", to_agent)]:
    print(f"{name:13} {value.hex()}")
for name, frame in [("HELLO_AUTH", hello_frame), ("HELLO_REPLY_AUTH", hello_reply), ("AUTH", auth),
                    ("AUTH_REPLY", auth_reply)]:
    print(f"{name}\n{(i64(len(frame)).hex() + frame.hex())}")
print(f"SEALED_NULL\n{sealed_null.hex()}")
print(f"SEALED_NULL_REPLY\n{sealed_null_reply.hex()}")
