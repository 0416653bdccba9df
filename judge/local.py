"""A local llama.cpp server that judge starts and stops itself (the offline default).

The server is llama-cpp-python's OpenAI-compatible server (``pip install 'judge[local]'``), run
as a child process on 127.0.0.1 at a free port. Why this one and not the ``llama-server`` program:
it installs with pip alone (no separate CMake step for users), serves ``/v1/chat/completions`` with
the model's chat template, and takes a GGUF LoRA (``--lora_path``). It accepts JSON output as
``response_format={"type": "json_object", "schema": ...}``; requests are served one at a time
(``--interrupt_requests False`` so a new request never cuts off one in flight).

Usage::

    with LocalServer(bundled_model_path("qwen2.5-coder-0.5b"), log_dir=run_dir) as server:
        client = ChatClient(server.model_name, base_url=server.base_url)
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from judge.errors import APIError, ConfigError, redact

__all__ = ["LocalServer", "free_port"]

_HINT = "the local server needs llama-cpp-python: pip install 'judge[local]'"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """A llama.cpp OpenAI-compatible server on 127.0.0.1, alive for a ``with`` block.

    Args:
        model_path: the GGUF model.
        lora_path: a GGUF LoRA adapter applied on top (the fine-tuned side).
        n_ctx: context length in tokens.
        threads: CPU threads for generation and prompt processing.
        model_name: the name the server answers to (default: the model file's stem).
        log_dir: folder for ``llama-server-<port>.log`` (default: a temp folder).
        ready_timeout: seconds to wait for ``GET /v1/models`` to answer.

    Attributes:
        base_url: ``http://127.0.0.1:<port>/v1``, set once started.
        model_name: the model name to send with requests.
        log_path: the server's combined stdout/stderr.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        lora_path: Path | None = None,
        n_ctx: int = 4096,
        threads: int = 2,
        model_name: str | None = None,
        log_dir: Path | str | None = None,
        ready_timeout: float = 180.0,
    ) -> None:
        self.model_path = Path(model_path)
        self.lora_path = Path(lora_path) if lora_path is not None else None
        self.n_ctx, self.threads, self.ready_timeout = n_ctx, threads, ready_timeout
        self.model_name = model_name or self.model_path.stem
        self.log_dir = Path(log_dir) if log_dir is not None else Path(tempfile.mkdtemp(prefix="judge-llama-"))
        self.port = 0
        self.base_url = ""
        self.log_path = self.log_dir / "llama-server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The server's command line (without the port until :meth:`start` picks one)."""
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path),
               "--model_alias", self.model_name, "--host", "127.0.0.1", "--port", str(self.port),
               "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
               "--n_threads_batch", str(self.threads), "--interrupt_requests", "False",
               "--logits_all", "False"]  # fmt: skip
        if self.lora_path is not None:
            cmd += ["--lora_path", str(self.lora_path)]
        return cmd

    def start(self) -> LocalServer:
        """Start the server and wait until it answers; see the class docstring.

        Raises:
            ConfigError: llama-cpp-python is missing, or a model/adapter file does not exist.
            APIError: the server exited or did not become ready in time (the log tail says why).
        """
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError(_HINT)
        for path in (self.model_path, self.lora_path):
            if path is not None and not path.is_file():
                raise ConfigError(f"local server: no such file {path}")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_dir / f"llama-server-{self.port}.log"
        with self.log_path.open("ab") as log:
            # Its own session: a Ctrl-C in the terminal reaches judge, which then stops the server
            # in order, instead of killing the server mid-reply.
            self._proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise APIError(f"local server exited with code {self._proc.returncode}: {self._log_tail()}")
            if self._answers():
                return
            time.sleep(0.25)
        raise APIError(f"local server not ready after {self.ready_timeout:.0f}s: {self._log_tail()}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as resp:
                return bool(resp.status == 200 and json.load(resp).get("data"))
        except (OSError, ValueError):
            return False

    def _log_tail(self, chars: int = 1500) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return redact(text[-chars:]) + f" (full log: {self.log_path})"

    def stop(self, grace: float = 10.0) -> None:
        """Stop the server: SIGTERM, then SIGKILL after ``grace`` seconds. Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        atexit.unregister(self.stop)
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # already gone: the outcome we wanted
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):  # already gone: the outcome we wanted
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
