"""The public surface of judge.stats and its purity (numpy/scipy only, no judge imports)."""

from __future__ import annotations

import ast
from pathlib import Path

import judge.stats

STATS_DIR = Path(judge.stats.__file__).parent


def test_all_is_sorted_and_exported() -> None:
    names = judge.stats.__all__
    # isort-style order (ruff RUF022): constants, then classes, then functions, each alphabetical
    assert names == sorted(names, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    assert len(set(names)) == len(names)
    assert all(hasattr(judge.stats, name) for name in names)
    for required in ("proportion", "sign_test", "preference", "net_win_rate", "pairs_for_power", "holm"):
        assert required in names


def test_stats_imports_nothing_from_judge() -> None:
    for module in STATS_DIR.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= {
                "__future__",
                "math",
                "collections",
                "dataclasses",
                "typing",
                "numpy",
                "scipy",
            }, (
                module.name,
                roots,
            )
