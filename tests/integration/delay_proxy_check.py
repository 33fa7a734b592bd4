#!/usr/bin/python3
"""tests/integration/delay_proxy_check.py PROXY CHECK: one check of
bench/delay_proxy, run by delay_proxy.bats. Starts a target server of its
own on loopback, the proxy in front of it (by its path), talks through it,
stops the proxy by its PID with SIGTERM and checks its exit status and the
counters it prints. Prints "ok: ..." and exits 0, or prints what differed
on stderr and exits 1. Every wait has a timeout; nothing loops unbounded.

Checks:
  delay     a message takes at least the delay each way (and not seconds)
  order     2000 messages of random sizes come back in order and intact
  duplex    8 MB each way at once, both intact; then a 32 MB copy
  shutdown  an end of stream is passed on each way, after the delay, with
            the data before it; SIGTERM ends the proxy with exit status 0
  counters  the control line and the exit line count connections, bytes,
            chunks and turns (one per request of a client that waits)
  reset     a target that resets its connection: the client's connection
            ends (reset or end of stream), the proxy goes on serving
"""
import atexit
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

TIMEOUT = 20.0


def fail(msg):
    sys.stderr.write("delay_proxy_check: %s\n" % msg)
    sys.exit(1)


class Target:
    """A loopback server; each connection is handled by `handler(conn)` in
    a thread of its own."""

    def __init__(self, handler):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(TIMEOUT)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.errors = []
        self.threads = []
        self.accepter = threading.Thread(target=self.accept_loop, daemon=True)
        self.accepter.start()

    def accept_loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(TIMEOUT)
            t = threading.Thread(target=self.run, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def run(self, conn):
        try:
            self.handler(conn)
        except Exception as e:  # reported by join()
            self.errors.append("target: %r" % e)
        finally:
            conn.close()

    def join(self):
        for t in self.threads:
            t.join(TIMEOUT)
            if t.is_alive():
                self.errors.append("target: a handler did not finish")
        self.sock.close()
        if self.errors:
            fail("; ".join(self.errors))


STARTED = []


@atexit.register
def kill_leftovers():
    """A check that failed half-way leaves no proxy running."""
    for proc in STARTED:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Proxy:
    def __init__(self, path, target_port, delay_ms, control=True):
        args = [path, "--target", "127.0.0.1:%d" % target_port, "--delay", str(delay_ms)]
        if control:
            args += ["--control", "127.0.0.1:0"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        STARTED.append(self.proc)
        self.port = self.control_port = None
        deadline = time.monotonic() + TIMEOUT
        want = 2 if control else 1
        lines = []
        while len(lines) < want and time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line.split())
        for words in lines:
            port = int(words[1].rsplit(":", 1)[1])
            if words[0] == "listen":
                self.port = port
            elif words[0] == "control":
                self.control_port = port
        if self.port is None or (control and self.control_port is None):
            self.proc.kill()
            fail("the proxy did not print its addresses: %r, stderr %r" % (lines, self.proc.stderr.read()))

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def counters(self):
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=TIMEOUT) as s:
            data = recv_all(s)
        return parse_counters(data.decode())

    def stop(self):
        """SIGTERM by PID; returns the counters of the exit line."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("the proxy did not end within %ds of SIGTERM" % TIMEOUT)
        if self.proc.returncode != 0:
            fail("the proxy exited with status %d after SIGTERM (stderr %r)" % (self.proc.returncode, err))
        lines = [l for l in err.splitlines() if l.startswith("delay_proxy: connections=")]
        if len(lines) != 1:
            fail("no counters line on the proxy's stderr at exit: %r" % err)
        return parse_counters(lines[0][len("delay_proxy: "):])


def parse_counters(line):
    try:
        return {k: int(v) for k, v in (w.split("=") for w in line.split())}
    except ValueError:
        fail("a malformed counters line: %r" % line)


def recv_exactly(s, n):
    buf = bytearray()
    while len(buf) < n:
        part = s.recv(min(n - len(buf), 1 << 20))
        if not part:
            fail("end of stream after %d of %d bytes" % (len(buf), n))
        buf += part
    return bytes(buf)


def recv_all(s):
    buf = bytearray()
    while True:
        part = s.recv(1 << 20)
        if not part:
            return bytes(buf)
        buf += part


def echo(conn):
    while True:
        data = conn.recv(1 << 16)
        if not data:
            return
        conn.sendall(data)


def check_delay(path):
    arrivals = []

    def stamp(conn):
        while True:
            data = conn.recv(100)
            if not data:
                return
            arrivals.append(time.monotonic())
            conn.sendall(data)

    delay = 0.040
    target = Target(stamp)
    proxy = Proxy(path, target.port, delay * 1000)
    s = proxy.connect()
    one_way, round_trip = [], []
    for _ in range(5):
        sent = time.monotonic()
        s.sendall(b"x")
        recv_exactly(s, 1)
        back = time.monotonic()
        one_way.append(arrivals[-1] - sent)
        round_trip.append(back - sent)
    s.close()
    proxy.stop()
    target.join()
    if min(one_way) < delay:
        fail("a message reached the target after %.1f ms, less than the %.0f ms delay" % (min(one_way) * 1e3, delay * 1e3))
    if min(round_trip) < 2 * delay:
        fail("a round trip took %.1f ms, less than twice the %.0f ms delay" % (min(round_trip) * 1e3, delay * 1e3))
    # Generous: the machine is shared; this only catches a delay applied
    # many times over (e.g. per byte or per poll).
    if max(round_trip) > 2 * delay + 1.0:
        fail("a round trip took %.1f ms for a %.0f ms delay each way" % (max(round_trip) * 1e3, delay * 1e3))
    print("ok: one way %.1f-%.1f ms, round trip %.1f-%.1f ms for %.0f ms each way"
          % (min(one_way) * 1e3, max(one_way) * 1e3, min(round_trip) * 1e3, max(round_trip) * 1e3, delay * 1e3))


def check_order(path):
    target = Target(echo)
    proxy = Proxy(path, target.port, 2)
    rng = random.Random(5)
    messages = [b"%06d:" % i + bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 300))) for i in range(2000)]
    stream = b"".join(messages)
    s = proxy.connect()
    # Writer and reader at once: the proxy sees many chunks in flight.
    writer = threading.Thread(target=lambda: [s.sendall(m) for m in messages], daemon=True)
    writer.start()
    back = recv_exactly(s, len(stream))
    writer.join(TIMEOUT)
    s.close()
    proxy.stop()
    target.join()
    if back != stream:
        at = next(i for i in range(len(stream)) if back[i] != stream[i])
        fail("the echoed stream differs from what was sent at byte %d of %d" % (at, len(stream)))
    print("ok: %d messages, %d bytes, came back in order" % (len(messages), len(stream)))


def check_duplex(path):
    size = 8 << 20
    up = random.Random(1).randbytes(size)
    down = random.Random(2).randbytes(size)
    got_up = []

    def exchange(conn):
        sender = threading.Thread(target=lambda: (conn.sendall(down), conn.shutdown(socket.SHUT_WR)), daemon=True)
        sender.start()
        got_up.append(recv_all(conn))
        sender.join(TIMEOUT)

    target = Target(exchange)
    proxy = Proxy(path, target.port, 5)
    s = proxy.connect()
    sender = threading.Thread(target=lambda: (s.sendall(up), s.shutdown(socket.SHUT_WR)), daemon=True)
    sender.start()
    got_down = recv_all(s)
    sender.join(TIMEOUT)
    s.close()
    target.join()
    if not got_up or got_up[0] != up:
        fail("client to target: %d bytes arrived of %d, or they differ" % (len(got_up[0]) if got_up else 0, size))
    if got_down != down:
        fail("target to client: %d bytes arrived of %d, or they differ" % (len(got_down), size))
    # A 32 MB copy one way: the data must all arrive, intact.
    big = random.Random(3).randbytes(32 << 20)
    digest = []
    target2 = Target(lambda conn: digest.append(hashlib.sha256(recv_all(conn)).hexdigest()))
    proxy2 = Proxy(path, target2.port, 5)
    s = proxy2.connect()
    t0 = time.monotonic()
    s.sendall(big)
    s.shutdown(socket.SHUT_WR)
    if recv_all(s) != b"":
        fail("the 32 MB target sent data back")
    took = time.monotonic() - t0
    s.close()
    target2.join()
    if digest != [hashlib.sha256(big).hexdigest()]:
        fail("the 32 MB copy arrived altered")
    c = proxy2.stop()
    if c["up_bytes"] != len(big):
        fail("up_bytes %d after a %d-byte copy" % (c["up_bytes"], len(big)))
    proxy.stop()
    print("ok: 8 MB each way at once intact; a 32 MB copy in %.0f ms" % (took * 1e3))


def check_shutdown(path):
    events = []

    def half_close(conn):
        data = recv_all(conn)  # until the client's end of stream
        events.append(("target saw end", time.monotonic(), data))
        conn.sendall(b"last words")
        conn.shutdown(socket.SHUT_WR)
        events.append(("target ended", time.monotonic(), b""))

    delay = 0.030
    target = Target(half_close)
    proxy = Proxy(path, target.port, delay * 1000)
    s = proxy.connect()
    s.sendall(b"before the end")
    t0 = time.monotonic()
    s.shutdown(socket.SHUT_WR)
    reply = recv_all(s)
    t1 = time.monotonic()
    s.close()
    target.join()
    if not events or events[0][2] != b"before the end":
        fail("the target got %r before the end of stream, not b'before the end'" % (events[0][2] if events else None))
    if events[0][1] - t0 < delay:
        fail("the end of stream reached the target %.1f ms after the shutdown, before the delay" % ((events[0][1] - t0) * 1e3))
    if reply != b"last words":
        fail("the client got %r before the end of stream, not b'last words'" % reply)
    if t1 - t0 < 2 * delay:
        fail("the client saw the end %.1f ms after its shutdown, less than a round trip" % ((t1 - t0) * 1e3))
    # The proxy lets go of the finished connection: open=0 while it runs.
    deadline = time.monotonic() + TIMEOUT
    while proxy.counters()["open"] != 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    if proxy.counters()["open"] != 0:
        fail("a connection ended both ways is still open in the proxy")
    # SIGTERM with a connection open: it is closed, and the proxy exits 0.
    s = proxy.connect()
    s.sendall(b"x")
    proxy.stop()
    try:
        rest = recv_all(s)
    except ConnectionResetError:
        rest = b""  # the proxy closed with "x" unread: a reset
    s.close()
    if rest != b"":
        fail("after SIGTERM the client got %r, not the end of its connection" % rest)
    print("ok: ends passed on after %.1f ms / %.1f ms; SIGTERM closed an open connection, exit 0"
          % ((events[0][1] - t0) * 1e3, (t1 - t0) * 1e3))


def check_counters(path):
    def responder(conn):
        while True:
            data = conn.recv(5)  # one request: two sent at once get two replies
            if not data:
                return
            conn.sendall(b"R" * 10)

    target = Target(responder)
    proxy = Proxy(path, target.port, 10)
    base = proxy.counters()
    if base != {"connections": 0, "open": 0, "up_bytes": 0, "up_chunks": 0, "down_bytes": 0, "down_chunks": 0, "turns": 0}:
        fail("counters at the start: %r" % base)
    requests = 10
    for _ in range(2):
        s = proxy.connect()
        for _ in range(requests):
            s.sendall(b"Q" * 5)
            recv_exactly(s, 10)
        s.close()
    mid = proxy.counters()
    want = {"connections": 2, "up_bytes": 2 * requests * 5, "down_bytes": 2 * requests * 10,
            "up_chunks": 2 * requests, "down_chunks": 2 * requests, "turns": 2 * requests}
    for k, v in want.items():
        if mid[k] != v:
            fail("after %d waited-for requests on each of 2 connections: %s=%d, want %d" % (requests, k, mid[k], v))
    # A request, then two sent 5 ms apart (two chunks: the proxy reads at
    # once) before a reply could come back (20 ms): the second of the pair
    # follows no delivered data and adds no turn.
    s = proxy.connect()
    s.sendall(b"Q" * 5)
    recv_exactly(s, 10)
    s.sendall(b"Q" * 5)
    time.sleep(0.005)
    s.sendall(b"Q" * 5)
    recv_exactly(s, 20)
    s.close()
    end = proxy.stop()
    target.join()
    if end["up_chunks"] != mid["up_chunks"] + 3:
        fail("up_chunks=%d after 3 more requests sent apart, want %d" % (end["up_chunks"], mid["up_chunks"] + 3))
    if end["turns"] != 2 * requests + 2:
        fail("turns=%d after a request and a pipelined pair, want %d" % (end["turns"], 2 * requests + 2))
    if end["connections"] != 3 or end["up_bytes"] != mid["up_bytes"] + 15:
        fail("exit line %r does not add up" % end)
    print("ok: counters %r" % end)


def check_reset(path):
    def resetter(conn):
        conn.recv(10)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        # close() in Target.run sends the reset.

    target = Target(resetter)
    proxy = Proxy(path, target.port, 5)
    s = proxy.connect()
    s.sendall(b"hello")
    try:
        rest = recv_all(s)
        outcome = "end of stream after %r" % rest
    except ConnectionResetError:
        outcome = "reset"
    s.close()
    # The proxy still serves: a second connection gets to the target.
    s = proxy.connect()
    s.sendall(b"again")
    try:
        recv_all(s)
    except ConnectionResetError:
        pass
    s.close()
    c = proxy.stop()
    target.join()
    if c["connections"] != 2 or c["up_bytes"] != 10 or c["open"] != 0:
        fail("after two reset connections: %r" % c)
    print("ok: the client saw %s; the proxy served on" % outcome)


def main():
    if len(sys.argv) != 3:
        fail("usage: delay_proxy_check.py PROXY CHECK")
    path, check = sys.argv[1], sys.argv[2]
    checks = {"delay": check_delay, "order": check_order, "duplex": check_duplex, "shutdown": check_shutdown,
              "counters": check_counters, "reset": check_reset}
    if check not in checks:
        fail("no check %r (one of %s)" % (check, ", ".join(checks)))
    if not os.access(path, os.X_OK):
        fail("no proxy at %s" % path)
    try:
        checks[check](path)
    except OSError as e:  # timeouts included: say which, not a traceback
        fail("%s: %r" % (check, e))


if __name__ == "__main__":
    main()
