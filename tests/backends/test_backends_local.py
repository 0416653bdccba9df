"""LocalServer: lifecycle with a stand-in program (fast), and the real llama.cpp server (slow)."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import openai
import pytest

from judge.errors import APIError, ConfigError
from judge.generation.bundled import bundled_adapter_path, bundled_model_path
from judge.generation.server import (
    LocalServer,
    build_recipe,
    built_server_path,
    default_threads,
    find_llama_server,
    missing_cpu_features,
    recipe_id,
)
from judge.specs import GenerationParams

# A stand-in for llama-server: a real HTTP server on the --port it is given, answering /v1/models.
# Like llama-server on a CPU whose repacked kernels crash, it can die of SIGSEGV on the first
# completion: always ("--always-crash" in the model file) or unless started with --no-repack
# ("--crash-unless-no-repack").
STANDIN = """#!{python}
import json, os, signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
args = sys.argv[1:]
model = open(args[args.index("-m") + 1]).read()
if "--fail" in model:
    print("error: cannot load model (stand-in)", flush=True)
    sys.exit(3)
port = int(args[args.index("--port") + 1])
alias = args[args.index("--alias") + 1]
class H(BaseHTTPRequestHandler):
    def _send(self, payload):
        body = json.dumps(payload).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self._send({{"object": "list", "data": [{{"id": alias, "object": "model"}}]}})
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        if "--always-crash" in model or ("--crash-unless-no-repack" in model and "--no-repack" not in args):
            print("ggml_backend_cpu_repack: segfault (stand-in)", flush=True)
            os.kill(os.getpid(), signal.SIGSEGV)
        self._send({{"choices": [{{"text": "2", "index": 0}}]}})
    def log_message(self, *a): pass
print("stand-in listening", " ".join(args), flush=True)
HTTPServer(("127.0.0.1", port), H).serve_forever()
"""


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    exe = tmp_path / "llama-server"
    exe.write_text(STANDIN.format(python=sys.executable))
    exe.chmod(0o755)
    monkeypatch.setenv("JUDGE_LLAMA_SERVER", str(exe))
    model = tmp_path / "model.gguf"
    model.write_text("GGUF stand-in")
    return model


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_starts_answers_and_stops(standin: Path, tmp_path: Path) -> None:
    with LocalServer(standin, model_name="toy", log_dir=tmp_path / "run") as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.engine == "llama-server"
        models = openai.OpenAI(base_url=server.base_url, api_key="unused").models.list()
        assert [m.id for m in models.data] == ["toy"]
        pid = server._proc.pid if server._proc else -1
    assert not server.running
    time.sleep(0.1)
    assert not _alive(pid)
    log = next((tmp_path / "run").glob("llama-server-*.log")).read_text()
    assert "--host 127.0.0.1" in log and "-np 1" in log  # one slot: greedy outputs that repeat


def test_stops_on_ctrl_c(standin: Path) -> None:
    server = LocalServer(standin)
    with pytest.raises(KeyboardInterrupt), server:
        assert server.running
        raise KeyboardInterrupt
    assert not server.running


def test_lora_is_passed(standin: Path, tmp_path: Path) -> None:
    lora = tmp_path / "lora.gguf"
    lora.write_text("x")
    with LocalServer(standin, lora_path=lora) as server:
        assert server.command()[-2:] == ["--lora", str(lora)]


def test_failed_start_shows_the_log(standin: Path) -> None:
    standin.write_text("--fail")
    with pytest.raises(APIError, match="cannot load model"):
        LocalServer(standin).start()


def test_crash_on_first_completion_retries_without_repacking(standin: Path, tmp_path: Path) -> None:
    standin.write_text("--crash-unless-no-repack")
    run = tmp_path / "run"
    with LocalServer(standin, log_dir=run) as server:
        assert server.no_repack and server.command()[-1] == "--no-repack"
        assert server.running and server.events[0].startswith("llama-server crashed on its start-up")
        assert "SIGSEGV" in server.events[0]
    log = (run / "local-server.log").read_text()
    assert "starting it again with --no-repack" in log and "answered its self-test" in log


def test_server_that_always_crashes_says_what_to_try(standin: Path, tmp_path: Path) -> None:
    standin.write_text("--always-crash")
    server = LocalServer(standin, log_dir=tmp_path)
    with pytest.raises(APIError) as info:
        server.start()
    text = str(info.value)
    assert "killed by SIGSEGV (segmentation fault)" in text and "also with --no-repack" in text
    assert "judge setup-server --rebuild" in text and "-11" not in text.split("Server log")[0]
    assert not server.running


def test_healthy_server_starts_without_a_retry(standin: Path, tmp_path: Path) -> None:
    with LocalServer(standin, log_dir=tmp_path) as server:
        assert not server.no_repack and server.events == []
    assert not (tmp_path / "local-server.log").exists()


@pytest.mark.parametrize(
    ("cores", "at_once", "threads", "batch"),
    [(2, 1, 1, 2), (2, 2, 1, 1), (4, 1, 3, 4), (9, 2, 4, 4), (64, 1, 8, 8), (1, 1, 1, 1)],
)
def test_threads_leave_a_core_and_are_shared_by_servers_at_once(
    cores: int, at_once: int, threads: int, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert default_threads(at_once) == threads and default_threads(at_once, batch=True) == batch


def test_missing_model_is_a_config_error(standin: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        LocalServer(tmp_path / "nope.gguf").start()


@pytest.mark.slow
@pytest.mark.skipif(
    find_llama_server() is None and not os.environ.get("CI"),  # CI must build it: fail there, not skip
    reason="llama-server not built (judge setup-server)",
)
def test_real_server_base_and_lora_through_the_sdk(tmp_path: Path) -> None:
    model = bundled_model_path("qwen2.5-coder-0.5b")
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}}
    for lora in (None, bundled_adapter_path("gguf")):
        with LocalServer(model, lora_path=lora, log_dir=tmp_path) as server:
            client = openai.OpenAI(base_url=server.base_url, api_key="unused")
            msg = [{"role": "user", "content": "What is 2+3? Reply as JSON."}]
            reply = client.chat.completions.create(
                model=server.model_name, messages=msg, max_tokens=12, temperature=0, response_format=fmt
            )
            assert json.loads(reply.choices[0].message.content or "") == {"answer": 5}


@pytest.mark.slow
@pytest.mark.skipif(find_llama_server() is None and not os.environ.get("CI"), reason="llama-server not built")
def test_the_demo_sides_generated_at_once_repeat_byte_for_byte(tmp_path: Path) -> None:
    """Two local servers at once, one slot each: greedy answers do not depend on timing."""
    from judge.generation.stage import generate_sides
    from judge.inputs import load_prompts
    from judge.run.demo import demo_config

    config = demo_config(tmp_path, n=6)
    items = load_prompts(config.prompts)
    short = GenerationParams(max_tokens=48, temperature=0.0)
    specs = {role: spec.model_copy(update={"params": short}) for role, spec in config.models.items()}
    first, second = (generate_sides(specs, items, None, show_progress=False) for _ in range(2))
    texts = {role: [g.output for g in side.values()] for role, side in first.items()}
    assert {role: [g.output for g in side.values()] for role, side in second.items()} == texts
    assert texts["finetuned"] != texts["base"]  # the LoRA changes what is written


def _fake_build(folder: Path, options: str) -> Path:
    folder.mkdir(parents=True)
    exe = folder / "llama-server"
    exe.write_text("#!/bin/sh\necho stand-in\n")
    exe.chmod(0o755)
    (folder / "build.json").write_text(json.dumps({"recipe": folder.name, "cpu_options": options}))
    return exe


def test_cached_build_is_keyed_by_its_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("JUDGE_LLAMA_SERVER", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    import hashlib

    assert recipe_id() == hashlib.sha256(build_recipe().read_bytes()).hexdigest()[:12]
    _fake_build(tmp_path / "bin", "")  # the old recipe's place: bin/llama-server
    _fake_build(tmp_path / "bin" / "llama-server-000000000000", "")  # another recipe's build
    assert find_llama_server() is None
    current = _fake_build(built_server_path().parent, "GGML_AVX")
    assert find_llama_server() == current


def test_a_build_for_missing_cpu_features_is_refused(tmp_path: Path) -> None:
    exe = _fake_build(tmp_path / "b", "GGML_SSE42 GGML_AVX2 GGML_AVX512")
    assert missing_cpu_features(exe, {"sse4_2", "avx2"}) == ["GGML_AVX512"]
    assert missing_cpu_features(exe, {"sse4_2", "avx2", "avx512f", "avx512cd", "avx512vl", "avx512dq",
                                      "avx512bw"}) == []  # fmt: skip


def test_recipe_never_compiles_amx_and_never_builds_native() -> None:
    recipe = build_recipe().read_text()
    assert "-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" in recipe
    assert "-DGGML_NATIVE=OFF" in recipe and "GGML_NATIVE=ON" not in recipe


@pytest.mark.slow
@pytest.mark.skipif(find_llama_server() is None and not os.environ.get("CI"), reason="llama-server not built")
def test_built_server_holds_no_amx_instruction() -> None:
    """The crash of issue 9 lives in ggml's AMX kernels: the binary we build must not contain them."""
    import shutil
    import subprocess

    binary = find_llama_server()
    assert binary is not None and binary == built_server_path(), "CI must use the recipe's own build"
    if shutil.which("objdump") is None:
        pytest.skip("objdump (binutils) not installed")
    disassembly = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(binary)], capture_output=True,
                                 text=True, check=True).stdout  # fmt: skip
    mnemonics = set(re.findall(r"^\s*[0-9a-f]+:\t(\w+)", disassembly, flags=re.M))
    assert {"vfmadd231ps", "vaddps"} & mnemonics  # it did disassemble the SIMD kernels
    assert not {"tileloadd", "tdpbssd", "tdpbusd", "ldtilecfg", "tdpbf16ps", "tilerelease"} & mnemonics
    info = json.loads((binary.parent / "build.json").read_text())
    assert info["recipe"] == recipe_id() and "AMX" not in info["cpu_options"]
