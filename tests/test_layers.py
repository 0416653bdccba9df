"""The layout in docs/architecture.md holds: a folder per stage, imports pointing downward only."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "judge"
STAGES = ("generation", "checks", "judging")
# A layer may import from its own layer and the layers below it, never from above.
LAYERS = [
    {
        "errors",
        "findings",
        "heap",
        "records",
        "summary",
        "summary_base",
        "summary_judge",
        "summary_import",
        "summary_several",
        "specs",
    },
    {"config", "inputs", "store", "runfolder", "lock", "stats"},
    {"client", "progress"},
    set(STAGES),
    {"aggregation"},
    {"reporting", "imports"},
    {"run", "api", "collection"},
    {"cli", "__main__", "__init__"},
]
ALLOWED = {  # each one said in docs/architecture.md
    ("judging", "checks.injection"),  # suspected injections are judged alone
    ("checks", "generation.backends.hf"),  # perplexity loads a model the way generation does
    ("aggregation", "reporting.narrator"),  # the summary carries its conclusion, written by the narrator
}


def _top(module: str) -> str:
    return module.split(".")[1] if module.startswith("judge.") else ""


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("judge."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("judge."))
    return found


def _layer(name: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if name in names)


def test_every_module_has_a_layer_and_imports_point_downward() -> None:
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        here = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for module in _imports(path):
            there = _top(module)
            if there == here or not there:
                continue
            if any(here == a and module == f"judge.{b}" for a, b in ALLOWED):
                continue
            if here in STAGES and there in STAGES:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {module}: stages never import each other")
            elif _layer(there) > _layer(here):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {module}, a layer above it")
    assert wrong == []


def test_a_folder_per_stage() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert {"generation", "checks", "judging", "aggregation", "reporting", "imports", "run", "cli"} <= folders
    assert not (PACKAGE / "judging.py").exists() and not (PACKAGE / "report").exists()
