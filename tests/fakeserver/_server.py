"""The server half of the fake: FakeServer and its request handler."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fakeserver._actions import (
    Action,
    Auto,
    Content,
    Drop,
    Fail,
    Policy,
    Stall,
    default_policy,
    error_body,
    last_user_text,
    parse_comparisons,
    quoted,
    text_of,
    verdict_payload,
    wrap,
)
from fakeserver._batches import BatchAPI

__all__ = ["FakeServer"]

_ERROR_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


class FakeServer:
    """Scripted OpenAI-compatible HTTP server on 127.0.0.1 (see the module docstring).

    Attributes:
        policy: ``(prompt, a, b) -> "A" | "B" | "tie"`` used in auto mode.
        latency: seconds added before every reply.
        structured_output: False answers 400 to ``response_format`` type ``json_schema``.
        max_in_flight: the most POST requests being handled at the same time so far.
    """

    def __init__(self, policy: Policy | None = None, latency: float = 0.0, structured_output: bool = True):
        self.policy: Policy = policy or default_policy
        self.latency = latency
        self.structured_output = structured_output
        self.max_in_flight = 0
        self._in_flight = 0
        self._log: list[dict[str, Any]] = []
        self._actions: list[Action] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.batch_api = BatchAPI(self.policy)  # /v1/files and /v1/batches (fakeserver/_batches.py)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeServer:
        """Bind a free port on 127.0.0.1 and serve in a background thread."""
        self._stopping.clear()
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        httpd = _Server(("127.0.0.1", 0), handler)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release stalled replies and close open connections."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # wake handler threads blocked reading a keep-alive socket
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    # -- scripting and log -----------------------------------------------------------------------
    def script(self, *actions: Action) -> None:
        """Queue actions for the next POST requests, in order."""
        with self._lock:
            self._actions.extend(actions)

    def reset(self) -> None:
        """Forget queued actions, the request log and the in-flight peak."""
        with self._lock:
            self._actions.clear()
            self._log.clear()
            self.max_in_flight = 0

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the log: dicts with method, path, headers, json and time (monotonic)."""
        with self._lock:
            return list(self._log)

    @property
    def posts(self) -> list[dict[str, Any]]:
        """The logged POST requests only (model calls)."""
        return [r for r in self.requests if r["method"] == "POST"]

    @property
    def pending(self) -> int:
        """Number of scripted actions not yet consumed."""
        with self._lock:
            return len(self._actions)

    # -- internals used by the handler -----------------------------------------------------------
    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._log.append(entry)

    def _next_action(self) -> Action | None:
        with self._lock:
            return self._actions.pop(0) if self._actions else None

    def _enter(self, delta: int) -> None:
        with self._lock:
            self._in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many clients connect at once in the concurrency tests

    def handle_error(self, request: Any, client_address: Any) -> None:
        del request, client_address  # a client that hangs up mid-request is expected here


class _Handler(BaseHTTPRequestHandler):
    fake: FakeServer
    protocol_version = "HTTP/1.1"  # keep-alive, like real servers

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without TCP_NODELAY, Nagle + delayed ACK
        # add ~40 ms to every reply, as no real server would
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.fake._track(self.connection, True)

    def finish(self) -> None:
        self.fake._track(self.connection, False)
        with contextlib.suppress(OSError):  # the peer may be gone already
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # keep test output quiet

    def _log(self, body: Any) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fake._record(
            {
                "method": self.command,
                "path": self.path,
                "headers": headers,
                "json": body,
                "time": time.monotonic(),
            }
        )

    def do_GET(self) -> None:
        self._log(None)
        if self.fake.batch_api.handle(self, "GET", b""):
            return
        if self.path.rstrip("/").endswith("/models"):
            self._send(
                200,
                {
                    "object": "list",
                    "data": [{"id": "fake-judge", "object": "model", "created": 0, "owned_by": "fake"}],
                },
            )
        else:
            self._send(404, error_body("not found", "invalid_request_error"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.fake.batch_api.handle(self, "POST", raw):
            self._log(None)
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        self._log(body)
        self.fake._enter(+1)
        try:
            self._answer(body if isinstance(body, dict) else {})
        except OSError:  # the client went away (timeout): nothing left to say
            self.close_connection = True
        finally:
            self.fake._enter(-1)

    def _answer(self, body: dict[str, Any]) -> None:
        fmt = (body.get("response_format") or {}).get("type")
        if fmt == "json_schema" and not self.fake.structured_output:
            self._send(
                400, error_body("response_format json_schema is not supported", "invalid_request_error")
            )
            return
        self._act(self.fake._next_action() or Auto(), body)

    def _act(self, action: Action, body: dict[str, Any]) -> None:
        if isinstance(action, Stall):
            self.fake._wait(action.seconds)
            self._act(action.then or Auto(), body)
            return
        self.fake._wait(self.fake.latency)
        if isinstance(action, Drop):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif isinstance(action, Fail):
            generic = "server_error" if action.status >= 500 else "invalid_request_error"
            kind = _ERROR_TYPES.get(action.status, generic)
            default = error_body(f"scripted failure {action.status}", kind)
            self._send(action.status, default if action.body is None else action.body, action.headers)
        elif isinstance(action, Content):
            self._complete(body, action.text)
        else:
            self._complete(body, self._auto_text(body, action))

    def _auto_text(self, body: dict[str, Any], action: Auto) -> str:
        text = last_user_text(body) if "messages" in body else text_of(body.get("prompt"))
        if not parse_comparisons(text):
            return f"echo: {text}"
        reply = wrap(verdict_payload(text, self.fake.policy, action), action.wrap)
        return (quoted(text, action.quote) + reply) if action.quote else reply

    def _complete(self, body: dict[str, Any], content: str) -> None:
        finish = "stop"
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        if isinstance(limit, int) and len(content) // 4 > limit:
            content, finish = content[: limit * 4], "length"
        chat = "messages" in body
        sent = (
            "".join(text_of(m.get("content")) for m in body.get("messages", []))
            if chat
            else text_of(body.get("prompt"))
        )
        usage = {"prompt_tokens": len(sent) // 4, "completion_tokens": len(content) // 4}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
        if chat:
            choice["message"] = {"role": "assistant", "content": content}
        else:
            choice["text"] = content
        self._send(
            200,
            {
                "id": f"fake-{time.monotonic_ns()}",
                "object": "chat.completion" if chat else "text_completion",
                "created": int(time.time()),
                "model": body.get("model", "fake-judge"),
                "choices": [choice],
                "usage": usage,
            },
        )

    def _send(
        self, status: int, payload: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
