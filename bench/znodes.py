"""ZooKeeper load for bench/servers.py: creates znodes over ZooKeeper's wire protocol (jute framing,
requests pipelined 500 at a time), then reads them back for a number of seconds. Runs in the
client container with python3 alone (the servers image holds no ZooKeeper client library).

    python3 znodes.py HOST ZNODES BYTES SECONDS
"""

from __future__ import annotations

import socket
import struct
import sys
import time
from collections.abc import Iterable

BATCH = 500
CREATE, GET_DATA = 1, 4
ACL_ALL = 31  # world:anyone with every permission


def text(value: str) -> bytes:
    return struct.pack(">i", len(value)) + value.encode()


class Session:
    def __init__(self, host: str) -> None:
        self.sock = socket.create_connection((host, 2181), timeout=30)
        self.xid = 0
        self.errors = 0
        # ConnectRequest: protocol version, last zxid seen, timeout, session id, password, read-only
        self.send(struct.pack(">iqiqi", 0, 0, 30000, 0, 16) + bytes(16) + b"\0")
        self.frame()

    def send(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def exact(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise SystemExit("ZooKeeper closed the connection")
            out += chunk
        return bytes(out)

    def frame(self) -> bytes:
        return self.exact(struct.unpack(">i", self.exact(4))[0])

    def replies(self, pending: int) -> None:
        for _ in range(pending):
            self.errors += struct.unpack(">iqi", self.frame()[:16])[2] != 0  # ReplyHeader: xid, zxid, err

    def pipeline(self, requests: Iterable[tuple[int, bytes]]) -> None:
        pending = 0
        for kind, body in requests:
            self.xid += 1
            self.send(struct.pack(">ii", self.xid, kind) + body)
            pending += 1
            if pending == BATCH:
                self.replies(pending)
                pending = 0
        self.replies(pending)


def main() -> int:
    host, count, size, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    zk = Session(host)
    acl = struct.pack(">ii", 1, ACL_ALL) + text("world") + text("anyone")
    data = struct.pack(">i", size) + bytes(size)
    started = time.monotonic()
    zk.pipeline((CREATE, text(f"/n{k}") + data + acl + struct.pack(">i", 0)) for k in range(count))
    loaded = time.monotonic() - started
    reads, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        zk.pipeline((GET_DATA, text(f"/n{(reads + k) % count}") + b"\0") for k in range(BATCH))
        reads += BATCH
    print(f"{count} znodes of {size} B in {loaded:.1f} s, {reads} reads, {zk.errors} errors")
    return 1 if zk.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
