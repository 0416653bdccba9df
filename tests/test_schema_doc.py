"""docs/summary.schema.json (linked from the README) is the schema the code writes."""

from __future__ import annotations

import json
from pathlib import Path

from judge.summary import Summary

DOC = Path(__file__).resolve().parents[1] / "docs" / "summary.schema.json"


def test_published_schema_matches_the_code() -> None:
    assert json.loads(DOC.read_text()) == Summary.model_json_schema(), (
        "regenerate: python -c 'import json; from judge.summary import Summary; "
        "print(json.dumps(Summary.model_json_schema(), indent=2))' > docs/summary.schema.json"
    )
