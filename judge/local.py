"""A local llama.cpp server that judge starts and stops itself (the offline default).

Two engines serve the same OpenAI-compatible API on 127.0.0.1 at a free port:

* ``llama-server`` (preferred): llama.cpp's own server, built by ``scripts/build_llama_server.sh``
  from the sources in the pinned llama-cpp-python sdist. Chosen because it implements
  ``response_format={"type": "json_schema", ...}`` natively — the judge client asks for that
  first — and serves parallel slots with continuous batching.
* ``llama-cpp-python`` (fallback, ``pip install 'judge[local]'``): its server only knows
  ``{"type": "json_object", "schema": ...}`` and answers a ``json_schema`` request with an HTTP
  500 (a pydantic literal error), which a client must not retry; it serves one request at a time.

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
import shutil
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
from typing import Literal

from judge.errors import APIError, ConfigError, redact

__all__ = ["Engine", "LocalServer", "find_llama_server", "free_port"]

Engine = Literal["auto", "llama-server", "llama-cpp-python"]
_HINT = (
    "no local llama.cpp server found: build llama-server with scripts/build_llama_server.sh "
    "(or set JUDGE_LLAMA_SERVER to one), or pip install 'judge[local]' for llama-cpp-python"
)


def find_llama_server() -> Path | None:
    """The llama-server program: ``$JUDGE_LLAMA_SERVER``, the judge cache's bin/, or PATH."""
    from judge.bundled import cache_dir

    for candidate in (os.environ.get("JUDGE_LLAMA_SERVER"), cache_dir() / "bin" / "llama-server",
                      shutil.which("llama-server")):  # fmt: skip
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def _pick_engine(engine: Engine) -> tuple[Literal["llama-server", "llama-cpp-python"], Path | None]:
    binary = find_llama_server() if engine in ("auto", "llama-server") else None
    if binary is not None:
        return "llama-server", binary
    if engine != "llama-server" and importlib.util.find_spec("llama_cpp") is not None:
        return "llama-cpp-python", None
    raise ConfigError(_HINT)


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
        engine: ``auto`` (llama-server if built, else llama-cpp-python) or one of them.
        parallel: llama-server slots served at once (each gets ``n_ctx`` tokens).

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
        engine: Engine = "auto",
        parallel: int = 2,
    ) -> None:
        self.model_path = Path(model_path)
        self.lora_path = Path(lora_path) if lora_path is not None else None
        self.n_ctx, self.threads, self.ready_timeout = n_ctx, threads, ready_timeout
        self.model_name = model_name or self.model_path.stem
        self.log_dir = Path(log_dir) if log_dir is not None else Path(tempfile.mkdtemp(prefix="judge-llama-"))
        self.port = 0
        self.base_url = ""
        self.log_path = self.log_dir / "llama-server.log"
        self.engine, self.parallel = engine, parallel
        self._binary: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The server's command line for the chosen engine and the picked port."""
        if self.engine == "llama-server":
            cmd = [str(self._binary), "-m", str(self.model_path), "--alias", self.model_name,
                   "--host", "127.0.0.1", "--port", str(self.port), "-c", str(self.n_ctx * self.parallel),
                   "-np", str(self.parallel), "-t", str(self.threads), "-tb", str(self.threads),
                   "--no-webui"]  # fmt: skip
            return cmd + (["--lora", str(self.lora_path)] if self.lora_path is not None else [])
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path),
               "--model_alias", self.model_name, "--host", "127.0.0.1", "--port", str(self.port),
               "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
               "--n_threads_batch", str(self.threads), "--interrupt_requests", "False",
               "--logits_all", "False"]  # fmt: skip
        return cmd + (["--lora_path", str(self.lora_path)] if self.lora_path is not None else [])

    def start(self) -> LocalServer:
        """Start the server and wait until it answers; see the class docstring.

        Raises:
            ConfigError: no engine is installed, or a model/adapter file does not exist.
            APIError: the server exited or did not become ready in time (the log tail says why).
        """
        self.engine, self._binary = _pick_engine(self.engine)
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
