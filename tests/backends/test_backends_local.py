"""LocalServer: lifecycle with a stand-in program (fast), and the real llama.cpp server (slow)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import openai
import pytest

from judge.bundled import bundled_adapter_path, bundled_model_path
from judge.errors import APIError, ConfigError
from judge.local import LocalServer, find_llama_server

# A stand-in for llama-server: a real HTTP server on the --port it is given, answering /v1/models.
STANDIN = """#!{python}
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
args = sys.argv[1:]
if "--fail" in open(args[args.index("-m") + 1]).read():
    print("error: cannot load model (stand-in)", flush=True)
    sys.exit(3)
port = int(args[args.index("--port") + 1])
alias = args[args.index("--alias") + 1]
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({{"object": "list", "data": [{{"id": alias, "object": "model"}}]}}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
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
    assert "--host 127.0.0.1" in log and "-np 2" in log


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


def test_missing_model_is_a_config_error(standin: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        LocalServer(tmp_path / "nope.gguf").start()


@pytest.mark.slow
@pytest.mark.skipif(
    find_llama_server() is None, reason="llama-server not built (scripts/build_llama_server.sh)"
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
