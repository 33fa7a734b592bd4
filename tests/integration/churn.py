#!/usr/bin/env python3
"""tests/integration/churn.py ADDR:PORT COUNT [--key-id HEX] [--seed N]:
COUNT connections to a splitrun-shadow that misbehave, 16 at a time, each
one of these kinds (in turn, so every kind is in every run):

  garbage      random bytes (1..300), then close
  hello-junk   a good HELLO, then random bytes, then close
  mid-frame    a good HELLO, then a frame cut after part of its body, close
  stall        a good HELLO, then part of a frame, then silence until the
               shadow gives up (--frame-timeout), then close
  mid-call     a good HELLO, an OPEN of /f and a PREAD of 1 MiB (or a
               COMPOUND) sent, and close without reading the replies
  half-hello   the first bytes of a HELLO, then close
  silent       connect and close at once
  oversized    a good HELLO, then a frame length of 2^40
  bad-auth     (with --key-id) a HELLO naming that key with a fresh nonce,
               then close before AUTH, or an AUTH with a wrong proof

Prints one line: the count of each kind. Exits 1 if a connection could not
even be made (the shadow stopped serving)."""
import random
import socket
import struct
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

MAGIC = 0x53504C4954525043


def i64(v):
    return struct.pack(">q", v)


def buf(b):
    return i64(len(b)) + b


def frame(tag, op, body):
    return i64(16 + len(body)) + i64(tag) + i64(op) + body


def hello(features=1, auth=b""):
    return frame(0, 1, i64(MAGIC) + i64(2) + i64(features) + buf(b"x86_64") + buf(auth))


def read_reply(s):
    s.settimeout(10)
    hdr = b""
    while len(hdr) < 8:
        b = s.recv(8 - len(hdr))
        if not b:
            return None
        hdr += b
    n = struct.unpack(">q", hdr)[0]
    body = b""
    while len(body) < n:
        b = s.recv(min(65536, n - len(body)))
        if not b:
            return None
        body += b
    return body


KINDS = ["garbage", "hello-junk", "mid-frame", "stall", "mid-call", "half-hello", "silent", "oversized"]


def one(addr, kind, rnd, key_id):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=30)
    try:
        if kind == "garbage":
            s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300))))
        elif kind == "half-hello":
            s.sendall(hello()[: rnd.randint(1, 40)])
        elif kind == "silent":
            pass
        elif kind == "bad-auth":
            auth = i64(1) + buf(key_id) + buf(bytes(rnd.getrandbits(8) for _ in range(32))) + buf(b"churn")
            s.sendall(hello(3, auth))
            if read_reply(s) is not None and rnd.random() < 0.5:
                s.sendall(frame(0, 46, buf(bytes(32)) + buf(bytes(24))))
                read_reply(s)
        else:
            s.sendall(hello())
            if read_reply(s) is None:
                return kind
            if kind == "hello-junk":
                s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300))))
            elif kind == "mid-frame":
                body = i64(-100) + buf(b"/f") + i64(0) * 4
                whole = frame(1, 3, body)
                s.sendall(whole[: rnd.randint(1, len(whole) - 1)])
            elif kind == "stall":
                s.sendall(frame(1, 3, i64(-100) + buf(b"/f") + i64(0) * 4)[:20])
                s.settimeout(30)
                try:
                    while s.recv(4096):
                        pass
                except OSError:
                    pass
            elif kind == "oversized":
                s.sendall(i64(1 << 40) + i64(1) + i64(2))
            elif kind == "mid-call":
                s.sendall(frame(1, 3, i64(-100) + buf(b"/f") + i64(0) * 4))
                if rnd.random() < 0.5:
                    s.sendall(frame(2, 6, i64(0) + i64(1 << 20) + i64(0)))
                else:
                    # COMPOUND: OPEN /f, READ 1 MiB of the result, GETCWD
                    ops = (i64(3) + i64(-100) + buf(b"/f") + i64(0) * 4 + i64(5) + i64(-(1 << 63)) + i64(1 << 20)
                           + i64(38))
                    s.sendall(frame(3, 44, i64(3) + ops))
    except OSError:
        pass
    finally:
        s.close()
    return kind


def main():
    addr, count = sys.argv[1], int(sys.argv[2])
    key_id = None
    seed = 1
    args = sys.argv[3:]
    while args:
        if args[0] == "--key-id":
            key_id = bytes.fromhex(args[1].removeprefix("key:"))
        elif args[0] == "--seed":
            seed = int(args[1])
        args = args[2:]
    kinds = KINDS + (["bad-auth", "bad-auth", "silent"] if key_id else [])
    if key_id:
        # a keyed shadow refuses every kind that sends a plain HELLO at the
        # HELLO itself; the rest exercise the same paths as before it
        kinds = ["garbage", "half-hello", "silent", "oversized", "bad-auth", "bad-auth", "hello-junk"]
    done = {k: 0 for k in kinds}
    lock = threading.Lock()
    failed = []

    def task(i):
        rnd = random.Random(seed * 100003 + i)
        kind = kinds[i % len(kinds)]
        try:
            one(addr, kind, rnd, key_id)
        except OSError as e:
            failed.append(f"{kind}: {e}")
            return
        with lock:
            done[kind] += 1

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(task, range(count)))
    print(" ".join(f"{k}={v}" for k, v in done.items()))
    if failed:
        print("could not connect:", failed[:5], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
