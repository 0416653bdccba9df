"""Install as users install: a wheel built from the repository, in a fresh virtualenv.

No editable install and no repository on the path: the wheel must carry everything ``judge``
reads at run time (prompt templates, report assets, the llama-server recipe, the LoRA).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeserver import FakeServer

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # builds a wheel and installs its dependencies (about a minute)


def _tracked_copy(dest: Path) -> Path:
    """The repository's tracked files (as they are in the working tree), without .git or build output."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src, dst = ROOT / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        elif src.is_file():
            shutil.copy2(src, dst)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the wheel, the fresh venv's bin/ folder) with judge installed from that wheel only."""
    work = tmp_path_factory.mktemp("wheel")
    src = _tracked_copy(work / "src")
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(dist), str(src)], check=True, cwd=work)  # fmt: skip
    wheel = next(dist.glob("judge-*.whl"))
    venv.create(work / "venv", with_pip=True)
    bin_dir = work / "venv" / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=work)
    yield wheel, bin_dir


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, **extra}


def test_wheel_carries_what_judge_reads_at_run_time(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    needed_files = [
        *(f"judge/judging/prompts/{n}.md" for n in ("judge_system", "batch", "comparison", "criteria")),
        "judge/reporting/assets/report.js",
        "judge/assets/server/build_llama_server.sh",
        "judge/assets/lora/adapter.gguf",
    ]
    for needed in needed_files:
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "prompts/", "examples/")) for n in names)
    # the package's templates are the ones the repository's prompts/ folder shows
    for name in ("judge_system.md", "batch.md", "comparison.md", "criteria.md"):
        packaged = zipfile.ZipFile(wheel).read(f"judge/judging/prompts/{name}").decode()
        assert packaged == (ROOT / "prompts" / name).read_text()


def test_installed_wheel_runs_a_comparison(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, bin_dir = installed
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    config = tmp_path / "examples" / "openai_files.toml"
    where = subprocess.run([str(bin_dir / "python"), "-c", "import judge; print(judge.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path, env=_env())  # fmt: skip
    assert str(bin_dir.parent) in where.stdout and str(ROOT) not in where.stdout

    dry = subprocess.run([str(bin_dir / "judge"), "run", str(config), "--dry-run", "--no-progress"],
                         capture_output=True, text=True, cwd=tmp_path, env=_env())  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "24 pairs" in dry.stdout

    with FakeServer() as server:
        done = subprocess.run(
            [str(bin_dir / "judge"), "run", str(config), "--judge-base-url", server.base_url,
             "--no-progress", "--json"],
            capture_output=True, text=True, cwd=tmp_path, env=_env(OPENAI_API_KEY="sk-wheel-test"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        posts = len(server.posts)
    summary = json.loads(done.stdout)
    # 24 pairs in 5 calls of five, plus the judge-reliability samples: every call sent once
    assert posts == summary["usage"]["new_calls"] == summary["usage"]["calls"] >= 5
    assert summary["counts"]["win"] + summary["counts"]["tie"] + summary["counts"]["loss"] == 24
    run_dirs = list(tmp_path.rglob("summary.json"))
    assert len(run_dirs) == 1 and (run_dirs[0].parent / "report.html").is_file()
