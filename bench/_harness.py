"""What the benchmarks under ``bench/`` share: servers started as subprocesses, a minimal
keep-alive HTTP/1.1 client, percentiles, and the CPU time of a process tree.

The benchmarks run as scripts (``python bench/NAME.py``), so this module is imported as
``_harness`` from the script's own directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    """One HTTP answer: status, headers (lower-case names), the body as far as it came, and
    whether it came whole (``False``: the connection dropped mid-body)."""

    status: int
    headers: dict[str, str]
    body: bytes
    complete: bool = True


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON.

    :meth:`post` reads content-length answers and returns the status only (the cheapest client,
    for latency measurements); :meth:`request` reads any answer (content-length, chunked or up to
    the end of the connection) and returns an :class:`Answer`. After an answer that did not come
    whole, or one that says ``connection: close``, :attr:`usable` is ``False``: open another.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.usable = True

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    def _head(self, path: str, body: bytes, headers: Mapping[str, str] | None = None) -> bytes:
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        return (
            f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\ncontent-type: application/json\r\n"
            f"x-goog-api-key: bench\r\n{extra}content-length: {len(body)}\r\n\r\n"
        ).encode()

    async def post(self, path: str, body: bytes) -> int:
        assert self.reader is not None and self.writer is not None
        self.writer.write(self._head(path, body) + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        length = 0
        for line in raw.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status

    async def request(self, path: str, body: bytes, headers: Mapping[str, str] | None = None) -> Answer:
        """POST ``body``; raises ``OSError`` / ``asyncio.IncompleteReadError`` when no answer
        head comes back (the body, once the head is in, is returned as far as it came)."""
        assert self.reader is not None and self.writer is not None
        self.writer.write(self._head(path, body, headers) + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw[:-4].split(b"\r\n")
        status = int(lines[0][9:12])
        head: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            head[name.strip().lower()] = value.strip()
        if head.get("connection", "").lower() == "close":
            self.usable = False
        parts: list[bytes] = []
        try:
            if "chunked" in head.get("transfer-encoding", "").lower():
                while True:
                    size = int((await self.reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                    if size == 0:
                        await self.reader.readuntil(b"\r\n")
                        break
                    parts.append(await self.reader.readexactly(size))
                    await self.reader.readexactly(2)
            elif "content-length" in head:
                parts.append(await self.reader.readexactly(int(head["content-length"])))
            else:
                parts.append(await self.reader.read())
                self.usable = False
        except (asyncio.IncompleteReadError, OSError, ValueError) as exc:
            if isinstance(exc, asyncio.IncompleteReadError):
                parts.append(exc.partial)
            self.usable = False
            return Answer(status, head, b"".join(parts), complete=False)
        return Answer(status, head, b"".join(parts))

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):  # a connection the other side already dropped
                await self.writer.wait_closed()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its children (workers) have used, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        children: list[int] = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                children += [int(c) for c in handle.read().split()]
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in children)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def start_server(
    args: list[str],
    *,
    stderr: int | IO[Any] = subprocess.DEVNULL,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 60.0,
) -> tuple[subprocess.Popen[str], str]:
    """Start a server command that prints ``{"url": ...}`` as its first stdout line (``--json``)
    and wait until its socket accepts connections; returns the process and the URL."""
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=stderr, text=True, env=None if env is None else dict(env)
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError(f"{' '.join(args)} did not start")
    url = json.loads(line)["url"]
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout_s
    while True:  # with several workers the line comes before the socket is bound
        try:
            socket.create_connection((parts.hostname, parts.port), timeout=1).close()
            return proc, url
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"{' '.join(args)} did not start listening") from None
            time.sleep(0.1)
