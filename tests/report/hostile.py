"""A run folder whose every text field tries to break out of the report."""

from __future__ import annotations

from pathlib import Path

from report_factory import RIGHT, WRONG_CALL, checks_for, make_row, make_summary

from judge.records import AuditRow
from judge.summary import Summary

PAYLOADS = [
    "<script>window.__pwned = 1; document.title = 'pwned'</script>",
    '<img src=x onerror="window.__pwned = 2; alert(2)">',
    "</textarea><script>window.__pwned = 3</script><textarea>",
    "</script><script>window.__pwned = 4; alert(4)</script>",
    "<!--<script>window.__pwned = 5</script>-->",
    '<a href="javascript:window.__pwned = 6">click me</a> [md](javascript:alert(6))',
    '<svg onload="window.__pwned = 7"></svg><iframe srcdoc="<script>parent.__pwned = 8</script>"></iframe>',
    "line\u2028separator\u2029paragraph \"quotes\" 'single' & ampersand &amp; entity",
    "{{constructor.constructor('window.__pwned = 9')()}} ${window.__pwned = 10}",
    '"><script>window.__pwned = 11</script><x y="',
]
LONG_LINE = "W" * 120_000
CONFIG = (
    '[judge]\nmodel = "</pre><script>window.__pwned = 12</script>"\napi_key = "sk-live-abcdefghijklmnop"\n'
)
MARK = "FINDME-42"


def hostile_rows() -> list[AuditRow]:
    rows = []
    for i, p in enumerate(PAYLOADS):
        result = ("win", "loss", "tie", None)[i % 4]
        rows.append(
            make_row(
                i,
                result,
                category=f"cat {i % 3} {p if i == 0 else ''}".strip(),
                prompt=f"Prompt {i}: {p}",
                output_a=f"A says {p}",
                output_b=f"B says {p}" + (LONG_LINE if i == 1 else ""),
                rationale=f"Because {p}",
                raw_reply=f'{{"rationale": "{p}"}}',
                criteria={f"crit {p}": "A"},
                reference=p if i == 2 else None,
                item_id=f"item-{i}{p if i == 10 - 1 else ''}",
                position_consistent=False if i == 5 else None,
                checks={
                    "finetuned": checks_for(RIGHT if i != 1 else WRONG_CALL, None),
                    "base": checks_for(RIGHT if i == 1 else WRONG_CALL, None),
                },
            )
        )
    rows.append(make_row(99, "win", category="cat 1", output_a=f"plain text {MARK}"))
    return rows


def hostile_summary(rows: list[AuditRow]) -> Summary:
    return make_summary(
        rows,
        models={"finetuned": PAYLOADS[0], "base": PAYLOADS[1]},
        judge={"model": PAYLOADS[3], "base_url": "http://127.0.0.1:1/v1"},
        extras={PAYLOADS[6]: {PAYLOADS[2]: PAYLOADS[4]}, "perplexity": {"finetuned": 7.5, "base": 9.0}},
        conclusion=PAYLOADS[5],
    )


def write_hostile_run(run_dir: Path) -> tuple[Summary, list[AuditRow]]:
    run_dir.mkdir(parents=True, exist_ok=True)
    rows = hostile_rows()
    summary = hostile_summary(rows)
    (run_dir / "summary.json").write_text(summary.model_dump_json(indent=2), encoding="utf-8")
    (run_dir / "audit.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in rows), encoding="utf-8")
    (run_dir / "config.toml").write_text(CONFIG, encoding="utf-8")
    return summary, rows
