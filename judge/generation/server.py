"""A local llama.cpp server that judge starts and stops itself (the offline default).

Two engines serve the same OpenAI-compatible API on 127.0.0.1 at a free port:

* ``llama-server`` (preferred): llama.cpp's own server, built by the recipe shipped in the
  package (``judge/assets/server/build_llama_server.sh``; ``judge setup-server`` runs it) from the
  sources in the pinned llama-cpp-python sdist, for this CPU's instruction sets without AMX.
  Chosen because it implements
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
import hashlib
import importlib.util
import json
import logging
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

__all__ = [
    "Engine",
    "LocalServer",
    "build_llama_server",
    "build_recipe",
    "built_server_path",
    "default_threads",
    "find_llama_server",
    "free_port",
    "missing_cpu_features",
    "recipe_id",
]

_log = logging.getLogger("judge.generation.server")

Engine = Literal["auto", "llama-server", "llama-cpp-python"]
_HINT = (
    "no local llama.cpp server found: build it with `judge setup-server` (about 5-12 minutes; "
    "needs cmake and a C++ compiler), or set JUDGE_LLAMA_SERVER to a llama-server program, "
    "or pip install 'judge[llamacpp]' for llama-cpp-python"
)


def build_recipe() -> Path:
    """The shipped build recipe for llama-server (a bash script inside the package)."""
    from importlib.resources import files

    return Path(str(files("judge") / "assets" / "server" / "build_llama_server.sh"))


def recipe_id() -> str:
    """First 12 hex digits of the recipe's sha256: the cached binary's folder name.

    A changed recipe (a new judge version that builds differently) gets a new folder, so a binary
    built by an older recipe is never picked up again.
    """
    return hashlib.sha256(build_recipe().read_bytes()).hexdigest()[:12]


def built_server_path() -> Path:
    """Where the recipe installs llama-server in the judge cache (it may not exist yet)."""
    from judge.generation.bundled import cache_dir

    return cache_dir() / "bin" / f"llama-server-{recipe_id()}" / "llama-server"


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return set(line.partition(":")[2].split())


# ggml build options recorded in build.json -> the CPU flags each needs (as in the recipe)
_NEEDS = {
    "GGML_SSE42": {"sse4_2"}, "GGML_AVX": {"avx"}, "GGML_AVX2": {"avx2"}, "GGML_FMA": {"fma"},
    "GGML_F16C": {"f16c"}, "GGML_BMI2": {"bmi2"}, "GGML_AVX_VNNI": {"avx_vnni"},
    "GGML_AVX512": {"avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"},
    "GGML_AVX512_VBMI": {"avx512vbmi"}, "GGML_AVX512_VNNI": {"avx512_vnni"},
    "GGML_AVX512_BF16": {"avx512_bf16"},
}  # fmt: skip


def missing_cpu_features(binary: Path, flags: set[str] | None = None) -> list[str]:
    """Build options of a recipe-built binary that this CPU lacks (a cache moved to another machine).

    Args:
        binary: a llama-server with ``build.json`` beside it (others are taken as they are).
        flags: the CPU's flags (default: this machine's, from /proc/cpuinfo).
    """
    try:
        built = json.loads((binary.parent / "build.json").read_text())
    except (OSError, ValueError):
        return []
    flags = _cpu_flags() if flags is None else flags
    if not flags:
        return []
    return [opt for opt in str(built.get("cpu_options", "")).split() if not _NEEDS.get(opt, set()) <= flags]


def find_llama_server() -> Path | None:
    """The llama-server program: ``$JUDGE_LLAMA_SERVER``, this recipe's build in the cache, or PATH.

    A binary in the cache built by another recipe (an older judge) is ignored; so is one built for
    instruction sets this CPU does not have.
    """
    built = built_server_path()
    if built.is_file() and missing_cpu_features(built):
        built = Path("/nonexistent")
    for candidate in (os.environ.get("JUDGE_LLAMA_SERVER"), built, shutil.which("llama-server")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def build_llama_server(*, rebuild: bool = False, python: str | None = None) -> Path:
    """Run the shipped recipe (compiles llama-server into the judge cache) and return the binary.

    Raises:
        ConfigError: bash, cmake or a compiler is missing, or the build failed (its output says why).
    """
    from judge.generation.bundled import cache_dir

    env = {**os.environ, "PYTHON": python or sys.executable, "JUDGE_CACHE_DIR": str(cache_dir())}
    cmd = ["bash", str(build_recipe())] + (["--rebuild"] if rebuild else [])
    try:
        done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=False)
    except OSError as exc:
        raise ConfigError(f"cannot run the llama-server build recipe: {exc}") from None
    if done.returncode != 0:
        raise ConfigError(
            f"building llama-server failed (exit {done.returncode}); it needs cmake and a C++ compiler "
            "(Debian: apt-get install cmake g++). The build's output is above."
        )
    return Path(done.stdout.strip().splitlines()[-1])


def _pick_engine(engine: Engine) -> tuple[Literal["llama-server", "llama-cpp-python"], Path | None]:
    binary = find_llama_server() if engine in ("auto", "llama-server") else None
    if binary is not None:
        return "llama-server", binary
    if engine != "llama-server" and importlib.util.find_spec("llama_cpp") is not None:
        return "llama-cpp-python", None
    raise ConfigError(_HINT)


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            name = signal.Signals(-code).name
            return f"killed by {name}" + (" (segmentation fault)" if name == "SIGSEGV" else "")
    return f"exit code {code}"


def default_threads(servers_at_once: int = 1, *, batch: bool = False) -> int:
    """llama.cpp threads per server: one less than the cores this process may use, shared out
    among the servers running at once (at least 1, at most 8).

    ggml's threads meet at a barrier after every operation; with as many threads as cores, any
    other work on the machine (the judge itself, the sandbox, a test run) deschedules one of them
    and every step waits for it. Measured on a shared 2-core machine under load (Qwen2.5-Coder-0.5B
    Q4_K_M, 48 greedy tokens, interleaved): 1 thread 9-17 tokens/s, 2 threads 1.4-3.7 tokens/s.
    Two single-threaded servers (the base and the fine-tune generated at once) have no barrier to
    wait at, so on 2 cores each gets 1 thread and both cores work.

    Prompt processing (``batch=True``, llama-server's ``-tb``) takes every core: its steps are
    whole prompts, long enough that a barrier wait costs little, and on an idle machine a second
    core nearly halves a long prompt (the judge's). Measured on 2 shared cores under load (the
    demo's five 1,700-2,100-token judge prompts): 2 threads 44 tokens/s, 1 thread 40.

    Args:
        servers_at_once: local servers working at the same time.
        batch: threads for prompt processing instead of generation.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 2
    return max(1, min(8, (cores - (0 if batch else 1)) // max(1, servers_at_once)))


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
        threads: CPU threads for generation (default :func:`default_threads`).
        threads_batch: CPU threads for prompt processing (default: ``default_threads(batch=True)``).
        model_name: the name the server answers to (default: the model file's stem).
        log_dir: folder for ``llama-server-<port>.log`` (default: a temp folder).
        ready_timeout: seconds to wait for ``GET /v1/models`` to answer.
        engine: ``auto`` (llama-server if built, else llama-cpp-python) or one of them.
        parallel: llama-server slots served at once (each gets ``n_ctx`` tokens). One by default:
            on a CPU, batching sequences barely adds throughput, and it makes greedy outputs
            depend on which requests happened to share a batch, so a seeded run would not repeat.
            Measured on the demo's 24 fine-tune answers (2 shared cores, 1 thread): 8 slots
            105-120 s, 1 slot 117 s; two runs with 8 slots differed in 6 answers (with
            ``--no-repack`` batching still changed 3).
        no_repack: start llama-server with ``--no-repack`` from the outset (set by the self-test
            fallback; ``$JUDGE_LLAMA_NO_REPACK=1`` sets it too).

    Attributes:
        base_url: ``http://127.0.0.1:<port>/v1``, set once started.
        model_name: the model name to send with requests.
        log_path: the server's combined stdout/stderr.
        events: what the start-up did beyond the plain start (the --no-repack retry), in words.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        lora_path: Path | None = None,
        n_ctx: int = 4096,
        threads: int | None = None,
        threads_batch: int | None = None,
        model_name: str | None = None,
        log_dir: Path | str | None = None,
        ready_timeout: float = 180.0,
        engine: Engine = "auto",
        parallel: int = 1,
        no_repack: bool = False,
    ) -> None:
        self.model_path = Path(model_path)
        self.lora_path = Path(lora_path) if lora_path is not None else None
        self.n_ctx, self.ready_timeout = n_ctx, ready_timeout
        self.threads = threads or default_threads()
        self.threads_batch = threads_batch or default_threads(batch=True)
        self.model_name = model_name or self.model_path.stem
        self.log_dir = Path(log_dir) if log_dir is not None else Path(tempfile.mkdtemp(prefix="judge-llama-"))
        self.port = 0
        self.base_url = ""
        self.log_path = self.log_dir / "llama-server.log"
        self.engine, self.parallel = engine, parallel
        self.no_repack = no_repack or os.environ.get("JUDGE_LLAMA_NO_REPACK") == "1"
        self.events: list[str] = []
        self._binary: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The server's command line for the chosen engine and the picked port."""
        if self.engine == "llama-server":
            cmd = [str(self._binary), "-m", str(self.model_path), "--alias", self.model_name,
                   "--host", "127.0.0.1", "--port", str(self.port), "-c", str(self.n_ctx * self.parallel),
                   "-np", str(self.parallel), "-t", str(self.threads), "-tb", str(self.threads_batch),
                   "--no-webui"]  # fmt: skip
            cmd += ["--no-repack"] if self.no_repack else []
            return cmd + (["--lora", str(self.lora_path)] if self.lora_path is not None else [])
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path),
               "--model_alias", self.model_name, "--host", "127.0.0.1", "--port", str(self.port),
               "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
               "--n_threads_batch", str(self.threads_batch), "--interrupt_requests", "False",
               "--logits_all", "False"]  # fmt: skip
        return cmd + (["--lora_path", str(self.lora_path)] if self.lora_path is not None else [])

    def start(self) -> LocalServer:
        """Start the server, wait until it answers and check that it can generate one token.

        The start-up self-test sends one tiny completion. If llama-server crashes on it (as ggml's
        repacked CPU kernels do on some CPUs), it is started once more with ``--no-repack``; that
        retry is written to the log (``local-server.log`` in ``log_dir``) and to ``events``.

        Raises:
            ConfigError: no engine is installed, or a model/adapter file does not exist.
            APIError: the server exited, did not become ready in time, or crashed on the self-test
                even without repacking (the message says what to try; the log tail says why).
        """
        self.engine, self._binary = _pick_engine(self.engine)
        for path in (self.model_path, self.lora_path):
            if path is not None and not path.is_file():
                raise ConfigError(f"local server: no such file {path}")
        if self._binary is not None and (missing := missing_cpu_features(self._binary)):
            raise ConfigError(
                f"{self._binary} was built for CPU features this machine lacks ({', '.join(missing)}); "
                "rebuild it here with `judge setup-server --rebuild`"
            )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._launch()
            crash = self._self_test()
            if crash is not None and self.engine == "llama-server" and not self.no_repack:
                self._event(f"llama-server crashed on its start-up self-test ({crash}); "
                            "starting it again with --no-repack")  # fmt: skip
                self.stop()
                self.no_repack = True
                self._launch()
                crash = self._self_test()
            if crash is not None:
                raise APIError(self._crash_message(crash))
        except BaseException:
            self.stop()
            raise
        if self.events:
            self._event("llama-server answered its self-test with --no-repack")
        return self

    def _launch(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = self.log_dir / f"llama-server-{self.port}.log"
        with self.log_path.open("ab") as log:
            # Its own session: a Ctrl-C in the terminal reaches judge, which then stops the server
            # in order, instead of killing the server mid-reply.
            self._proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        atexit.register(self.stop)
        self._wait_ready()

    def _self_test(self) -> str | None:
        """One tiny completion; None when the server answered, else how it died."""
        body = json.dumps({"model": self.model_name, "prompt": "1+1=", "max_tokens": 1, "temperature": 0})
        request = urllib.request.Request(
            f"{self.base_url}/completions", data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.ready_timeout) as resp:
                resp.read()
        except (OSError, ValueError) as exc:
            if self._proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=2)
            if self._proc is None or self._proc.poll() is None:
                tail = self._log_tail()
                raise APIError(f"local server did not answer its self-test: {exc}: {tail}") from None
        if self._proc is not None and self._proc.poll() is not None:
            return _describe_exit(self._proc.returncode)
        return None

    def _crash_message(self, crash: str) -> str:
        tried = " (also with --no-repack)" if self.no_repack else ""
        return (
            f"the local llama.cpp server crashed on its first completion{tried}: {crash}. "
            "Try: `judge setup-server --rebuild` (builds it for this CPU, without AMX); or point "
            "JUDGE_LLAMA_SERVER at another llama-server build; or judge with an API model "
            f"(--judge-base-url/--judge-model). Server log: {self._log_tail()}"
        )

    def _event(self, text: str) -> None:
        self.events.append(text)
        _log.warning("%s", text)
        with (self.log_dir / "local-server.log").open("a", encoding="utf-8") as handle:
            handle.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {text}\n")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                how = _describe_exit(self._proc.returncode)
                raise APIError(f"local server exited ({how}) while loading: {self._log_tail()}")
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
