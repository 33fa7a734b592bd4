#!/usr/bin/env python3
"""tools/fuzz-seeds.py: remakes the seed corpora of tests/fuzz/ that come
from elsewhere in the tree (run by hand from the top of the tree, after
`make test-build`; the policy seeds are written by hand):

  frame/    every golden frame of docs/wire-format.md, without its length
            field (the harness's input is one frame);
  session/  the frames an agent sends running each op script of
            tests/integration/shadow/ (the HELLO left out: the harness
            starts after the handshake), recorded by a proxy between
            build/native/tests/shadow_client and a shadow on a fresh tree;
            frames over 64 KiB are left out so the corpus stays small.

Seeds found by the fuzzer itself are kept there too (crash-*, and any
minimized inputs worth keeping); this script never removes a file."""
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading

TOP = os.getcwd()
FUZZ = os.path.join(TOP, "tests", "fuzz")


def frame_seeds():
    doc = open(os.path.join(TOP, "docs", "wire-format.md")).read()
    out = os.path.join(FUZZ, "frame")
    os.makedirs(out, exist_ok=True)
    for m in re.finditer(r"<!-- golden (\w+) -->\n```\n(.*?)```", doc, re.S):
        name, body = m.group(1), m.group(2)
        hexs = "".join(re.match(r"[0-9a-f]*", line).group(0) for line in body.splitlines())
        data = bytes.fromhex(hexs)[8:]     # the harness's input has no length field
        with open(os.path.join(out, "golden-" + name.lower()), "wb") as f:
            f.write(data)


def record(script, shadow_addr, client):
    """Runs script through a proxy; returns the agent's bytes after HELLO."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    port = lsock.getsockname()[1]
    host, sport = shadow_addr.rsplit(":", 1)
    streams = []

    def pump(src, dst, keep):
        while True:
            b = src.recv(65536)
            if not b:
                break
            if keep is not None:
                keep.append(b)
            dst.sendall(b)
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def serve():
        while True:
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            s = socket.create_connection((host, int(sport)))
            keep = []
            streams.append(keep)
            threading.Thread(target=pump, args=(c, s, keep), daemon=True).start()
            threading.Thread(target=pump, args=(s, c, None), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    subprocess.run([client, f"127.0.0.1:{port}", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=120)
    lsock.close()
    data = b"".join(streams[0]) if streams else b""
    frames, at = [], 0
    while at + 8 <= len(data):
        n = struct.unpack(">q", data[at:at + 8])[0]
        frames.append(data[at:at + 8 + n])
        at += 8 + n
    return b"".join(f for f in frames[1:] if len(f) <= 65536)


def session_seeds():
    shadow = os.path.join(TOP, "bin", "splitrun-shadow")
    client = os.path.join(TOP, "build", "native", "tests", "shadow_client")
    out = os.path.join(FUZZ, "session")
    os.makedirs(out, exist_ok=True)
    scripts = os.path.join(TOP, "tests", "integration", "shadow")
    for name in ["open", "io", "stat", "dir", "names", "attrs", "locks", "cwd", "compound", "readonly"]:
        work = tempfile.mkdtemp()
        root = os.path.join(work, "root")
        subprocess.run(["bash", "-c", f'source tests/integration/shadow_helpers.bash && make_tree "{root}"'],
                       check=True)
        p = subprocess.Popen([shadow, "--root", root, "--log", "/dev/null"], stdout=subprocess.PIPE, text=True)
        addr = p.stdout.readline().split()[-1]
        try:
            data = record(os.path.join(scripts, name + ".script"), addr, client)
        finally:
            p.terminate()
            p.wait()
            shutil.rmtree(work, ignore_errors=True)
        with open(os.path.join(out, "script-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    frame_seeds()
    session_seeds()
    print("seeds written to", FUZZ, file=sys.stderr)
