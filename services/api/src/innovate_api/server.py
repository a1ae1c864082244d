"""The gunicorn worker: gthread that gives a thread only to a complete request.

Stock gthread hands a connection to a thread as soon as its first bytes arrive, and the
thread then blocks reading the rest: ten clients that trickle their headers or bodies
hold every thread of a pod. This worker reads each request in the worker's event loop
(non-blocking, next to gunicorn's keep-alive poller) until its head and its whole body
(``Content-Length`` or chunked) are buffered, and only then hands it to the thread
pool, where gunicorn's parser reads it from memory. A client that does not complete its
request within ``read_timeout`` gets 408; a head over ``MAX_HEAD`` gets 431 and a body
over the body limit gets 413, all answered from the loop without a thread.

``GET /healthz`` is answered from the loop as well, so liveness depends neither on the
database nor on a free thread (it is not in the access log or the request metrics).

When the server stops (SIGTERM to the master) each worker stops listening without
resetting anyone: it accepts whatever connections the kernel has already queued (they
are served, with ``Connection: close``), then shuts the listening socket down, so later
connection attempts are refused at once instead of waiting in a backlog that nobody
serves and that is reset when the process exits. In-flight requests finish; a request
arriving on a kept-alive connection during the linger is answered with
``Connection: close`` (gunicorn's own behaviour).

Plain HTTP only (the ALB and kubelet talk HTTP to the pod); with TLS configured in
gunicorn this falls back to stock gthread behaviour.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import selectors
import socket
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.workers.gthread import TConn, ThreadWorker

from innovate_api.errors import PROBLEM_MIME, problem_body

MAX_HEAD = 32 * 1024

# Set by the master when the whole server stops (SIGTERM/SIGINT), read by the workers:
# one shared byte, mapped before the fork. A worker that stops alone (max_requests
# recycling, a reload, scaling down) must leave the shared listening socket alone.
_SERVER_STOPPING = mmap.mmap(-1, 1)


def install_stop_marker(arbiter: Any) -> None:
    """gunicorn ``on_starting`` hook: mark the server as stopping before the master
    signals its workers, so they know the listening socket may be shut down."""
    original = arbiter.stop

    def stop(graceful: bool = True) -> None:
        _SERVER_STOPPING[0] = 1
        original(graceful)

    arbiter.stop = stop


def server_stopping() -> bool:
    return _SERVER_STOPPING[0] == 1


INCOMPLETE, COMPLETE, HEAD_TOO_LARGE, BODY_TOO_LARGE, BAD = range(5)

_HEALTHZ = b'{"status":"ok"}'
_HEALTHZ_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
    b"Connection: close\r\n\r\n%s" % (len(_HEALTHZ), _HEALTHZ)
)


def _problem_response(status: int, reason: str, detail: str) -> bytes:
    body = problem_body(status, detail)
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {PROBLEM_MIME}\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


_REFUSALS = {
    HEAD_TOO_LARGE: _problem_response(
        431, "Request Header Fields Too Large", "The request head is too large."
    ),
    BODY_TOO_LARGE: _problem_response(413, "Payload Too Large", "The request body is too large."),
    BAD: _problem_response(400, "Bad Request", "The request could not be understood."),
}
_TIMEOUT = _problem_response(408, "Request Timeout", "The request was not sent in time.")


def _chunked_end(buf: bytes | bytearray, start: int, max_body: int) -> int:
    """Where a chunked body starting at ``start`` ends (-1: incomplete, -2: too large
    or malformed)."""
    pos, total = start, 0
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return -1 if len(buf) - pos < 1024 else -2
        size_text = bytes(buf[pos:line_end]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return -2
        total += size
        if total > max_body:
            return -2
        if size == 0:
            trailer_end = buf.find(b"\r\n\r\n", line_end)
            if buf[line_end : line_end + 4] == b"\r\n\r\n":
                return line_end + 4
            return -1 if trailer_end < 0 else trailer_end + 4
        pos = line_end + 2 + size + 2
        if pos > len(buf):
            return -1


def request_state(buf: bytes | bytearray, max_body: int) -> tuple[int, int]:
    """(state, end of the first request in ``buf``) for an HTTP/1.x byte stream; for an
    incomplete body of known length, the length the buffer must reach (else -1)."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return (HEAD_TOO_LARGE if len(buf) > MAX_HEAD else INCOMPLETE), -1
    if head_end > MAX_HEAD:
        return HEAD_TOO_LARGE, -1
    body_start = head_end + 4
    length: int | None = None
    chunked = False
    for line in bytes(buf[:head_end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            text = value.strip()
            if not text.isdigit() or (length is not None and int(text) != length):
                return BAD, -1
            length = int(text)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    if chunked:
        end = _chunked_end(buf, body_start, max_body)
        if end == -2:
            return BODY_TOO_LARGE, -1
        return (INCOMPLETE, -1) if end < 0 else (COMPLETE, end)
    if length is None or length == 0:
        return COMPLETE, body_start
    if length > max_body:
        return BODY_TOO_LARGE, -1
    end = body_start + length
    return (COMPLETE, end) if len(buf) >= end else (INCOMPLETE, end)


class BufferingThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no hints
    read_timeout = float(os.environ.get("GUNICORN_READ_TIMEOUT", "15"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: deque[Any] = deque()
        self.max_body = int(os.environ.get("MAX_CONTENT_LENGTH", "65536"))

    def load_wsgi(self) -> None:
        super().load_wsgi()
        from innovate_api.extensions import services_of

        services = services_of(self.wsgi)
        if services is not None:  # the app's own limit (the 413 it would answer)
            self.max_body = services.settings.max_content_length

    def enqueue_req(self, conn: Any) -> None:
        if self.cfg.is_ssl or getattr(conn, "innovate_complete", False):
            conn.innovate_complete = False
            super().enqueue_req(conn)
            return
        buffered = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.innovate_buf = bytearray(buffered)
        conn.innovate_deadline = time.monotonic() + self.read_timeout
        conn.innovate_continued = False
        conn.innovate_need = 0  # bytes the buffer must reach, once the head is parsed
        conn.innovate_scanned = 0  # bytes already searched for the end of the head
        conn.sock.setblocking(False)
        if buffered and self._try_dispatch(conn):
            return
        self.reading.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn: Any, _sock: Any) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away before completing its request
            self._forget(conn)
            self._close(conn)
            return
        conn.innovate_buf += data
        self._try_dispatch(conn)

    def _forget(self, conn: Any) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        with contextlib.suppress(ValueError):
            self.reading.remove(conn)

    def _close(self, conn: Any, answer: bytes | None = None) -> None:
        if answer is not None:
            try:
                conn.sock.send(answer)
                conn.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def _try_dispatch(self, conn: Any) -> bool:
        buf = conn.innovate_buf
        # Cheap checks first, so a request trickled in tiny segments costs O(n), not
        # O(n^2): no rescans while the body of known length is still arriving, and the
        # end of the head is searched for only in the new bytes.
        if conn.innovate_need and len(buf) < conn.innovate_need:
            return False
        if not conn.innovate_need and buf.find(b"\r\n\r\n", conn.innovate_scanned) < 0:
            conn.innovate_scanned = max(0, len(buf) - 3)
            if len(buf) <= MAX_HEAD:
                return False
        state, end = request_state(buf, self.max_body)
        if state == INCOMPLETE:
            if not self._maybe_continue(conn, buf):
                conn.innovate_need = max(end, 0)
            return False
        self._forget(conn)
        if state != COMPLETE:
            self._close(conn, _REFUSALS[state])
            return True
        if buf.startswith((b"GET /healthz ", b"GET /healthz?")):
            self._close(conn, _HEALTHZ_RESPONSE)
            return True
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(buf))
        conn.innovate_buf = bytearray()
        conn.data_ready = True
        conn.innovate_complete = True
        self.enqueue_req(conn)
        return True

    @staticmethod
    def _maybe_continue(conn: Any, buf: bytearray) -> bool:
        """Answer ``Expect: 100-continue`` once the head is in, so the client sends its
        body (gunicorn would only answer it once a thread has the request). True when
        the buffer was rewritten (the Expect line dropped)."""
        if conn.innovate_continued:
            return False
        head_end = buf.find(b"\r\n\r\n")
        if head_end < 0 or b"100-continue" not in bytes(buf[:head_end]).lower():
            return False
        conn.innovate_continued = True
        lines = bytes(buf[:head_end]).split(b"\r\n")
        kept = [line for line in lines if not line.lower().startswith(b"expect:")]
        conn.innovate_buf = bytearray(b"\r\n".join(kept)) + buf[head_end:]
        try:
            conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise
        return True

    def accept(self, listener: Any) -> None:
        try:
            super().accept(listener)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            # Another worker shut the shared listener down: the server is stopping and
            # this worker's SIGTERM is on its way. Stop polling the listener, keep serving.
            super().set_accept_enabled(False)

    def set_accept_enabled(self, enabled: bool) -> None:
        if (
            enabled
            or self.alive
            or getattr(self, "innovate_stopped", False)
            or not server_stopping()
        ):
            super().set_accept_enabled(enabled)
            return
        # Stopping: take the queued connections, then stop listening (for every worker:
        # the socket is shared), so nothing waits in a backlog to be reset at exit.
        self.innovate_stopped = True
        super().set_accept_enabled(False)
        for listener in self.sockets:
            listener.setblocking(False)
            while True:
                try:
                    client, address = listener.accept()
                except OSError:  # EAGAIN: drained; EINVAL: another worker shut it down
                    break
                self.nr_conns += 1
                client.setblocking(True)
                self.enqueue_req(TConn(self.cfg, client, address, listener.getsockname()))
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RD)

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        while self.reading and self.reading[0].innovate_deadline <= now:
            conn = self.reading.popleft()
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)
            self._close(conn, _TIMEOUT)
