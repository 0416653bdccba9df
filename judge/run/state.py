"""How a run ends: its exit code, the cause of a failure, the history of invocations, and the
settings that tie a run folder to the config that made it.

Exit codes of ``judge run`` / ``demo`` / ``report`` (the CLI docstring has the full table)::

    0  every pair judged (or decided by a check)
    3  the judge endpoint failed for good (auth, quota, unreachable, retries spent); results are
       written for what was judged and a re-run resumes
    4  some pairs failed on unreadable replies; a re-run asks for them again
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from judge.config import RunConfig
from judge.errors import APIError, ConfigError
from judge.judging.stage import Templates
from judge.records import Judgment
from judge.runfolder import RunFolder, write_atomic
from judge.summary import Invocation, RunState, UsageSummary

__all__ = [
    "EXIT_API",
    "EXIT_OK",
    "EXIT_UNREADABLE",
    "failure_cause",
    "guard_settings",
    "previously_failed",
    "record_invocation",
    "recovered",
    "run_state",
    "write_settings",
]

EXIT_OK, EXIT_API, EXIT_UNREADABLE = 0, 3, 4
SETTINGS = RunFolder.SETTINGS
HISTORY = RunFolder.INVOCATIONS
RESUME = "run the same command again to resume: finished calls are never paid twice"


def settings_of(config: RunConfig, templates: Templates) -> dict[str, Any]:
    """The settings that change verdicts (so that a run folder holds one comparison, not a mix)."""
    j = config.judge
    text = json.dumps([templates.system, templates.batch.template, templates.comparison.template])
    return {
        "seed": config.seed,
        "decide_degenerate": config.decide_degenerate,
        "judge.model": j.bundled or j.model,
        "judge.temperature": j.temperature,
        "judge.max_tokens": j.max_tokens,
        "judge.batch_size": j.batch_size,
        "judge.both_orders": j.both_orders,
        "judge.criteria": templates.criteria,
        "judge.max_output_chars": j.max_output_chars,
        "judge.evidence": j.evidence,
        "judge.rationale_words": j.rationale_words,
        "judge.prompts (sha256 of the templates)": hashlib.sha256(text.encode()).hexdigest()[:16],
    }


def _changes(config: RunConfig, templates: Templates) -> list[str]:
    """The verdict-changing settings that differ from those the run folder was made with."""
    try:
        before = json.loads((config.run_dir / SETTINGS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # none yet, or unreadable (an older judge's folder): nothing to compare with
    now = json.loads(json.dumps(settings_of(config, templates)))
    return [f"{k}: {before.get(k)!r} -> {v!r}" for k, v in now.items() if k in before and before[k] != v]


def guard_settings(config: RunConfig, templates: Templates, *, replace: bool) -> None:
    """Refuse to overwrite a run made with other verdict-changing settings.

    With ``replace`` the run is overwritten instead, and its invocation history starts again.

    Raises:
        ConfigError: naming each difference, and the two ways on.
    """
    changed = _changes(config, templates)
    if changed and replace:
        (config.run_dir / HISTORY).unlink(missing_ok=True)
        (config.run_dir / RunFolder.JUDGMENTS).unlink(missing_ok=True)
    elif changed:
        raise ConfigError(
            f"{config.run_dir} holds a run made with other settings ({'; '.join(changed)}). Its key, "
            f"verdicts and report would be replaced. Give this run its own folder (set name = "
            f'"{config.name}-2" in the config), or pass --replace to overwrite it (calls already '
            "in the ledger are still not paid twice)."
        )


def write_settings(config: RunConfig, templates: Templates) -> None:
    """Record the settings this run folder was made with."""
    text = json.dumps(settings_of(config, templates), indent=2, sort_keys=True)
    write_atomic(config.run_dir / SETTINGS, text + "\n")


def failure_cause(exc: APIError, key_env: str) -> str:
    """A failure for good in words: what happened, where, and what to check."""
    code, text = exc.status_code, str(exc)
    if code in (401, 403):
        return f"the key was refused: {text}. Check ${key_env}"
    if "insufficient_quota" in text or "quota" in text.lower():
        return f"quota exhausted: {text}. Add credit or use another key"
    if code is None:
        return f"judge endpoint unreachable: {text}. Check base_url and that the server is up"
    if code >= 500 or code == 429:
        return f"the judge kept failing past the retry budget: {text}"
    return text


def previously_failed(run_dir: Path) -> set[str]:
    """Pair ids the last invocation left failed (from its judgments.jsonl)."""
    path = run_dir / RunFolder.JUDGMENTS
    if not path.is_file():
        return set()
    failed = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = Judgment.model_validate_json(line)
        except ValueError:
            continue
        if row.status == "failed":
            failed.add(row.pair_id)
    return failed


def run_state(
    judgments: dict[str, Judgment], api_failed: set[str], failure: APIError | None, key_env: str
) -> RunState:
    """Whether the run is complete, its exit code, and the cause and next step when it is not.

    Args:
        judgments: every pair sent to the judge -> its judgment (a verdict or a failure).
        api_failed: pairs that failed on an API error (the others failed on unreadable replies).
        failure: the error that showed the endpoint down, if one did.
        key_env: the variable holding the judge's key, to name in a 401's advice.
    """
    pairs = len(judgments)
    left = [j for j in judgments.values() if j.status == "failed"]
    if not left:
        return RunState(complete=True, exit_code=EXIT_OK, pairs=pairs, pairs_left=0)
    by_api = [j for j in left if j.pair_id in api_failed]
    if by_api:
        cause = failure_cause(failure, key_env) if failure else (by_api[0].reason or "judge API failed")
        code = EXIT_API
    else:
        cause = f"unreadable judge replies ({left[0].reason})"
        code = EXIT_UNREADABLE
    step = f"{len(left)} of {pairs} pairs are left without a verdict; {RESUME}."
    return RunState(
        complete=False, exit_code=code, pairs=pairs, pairs_left=len(left), failure=cause, next_step=step
    )


def recovered(before: set[str], judgments: dict[str, Judgment]) -> int:
    """How many of the pairs an earlier invocation left failed now have a verdict."""
    return sum(1 for pid in before if (j := judgments.get(pid)) is not None and j.status == "ok")


def record_invocation(
    run_dir: Path, state: RunState, usage: UsageSummary, recovered_pairs: int, started: str
) -> RunState:
    """Append this invocation to the run folder's history; ``state`` with the whole history."""
    record = Invocation(
        started=started,
        new_calls=usage.new_calls,
        new_tokens=usage.new_prompt_tokens + usage.new_completion_tokens,
        new_cost_usd=usage.new_cost_usd,
        recovered_pairs=recovered_pairs,
        pairs_left=state.pairs_left,
        exit_code=state.exit_code,
    )
    return state.model_copy(update={"invocations": _append(run_dir, record)})


def _append(run_dir: Path, record: Invocation) -> list[Invocation]:
    path = run_dir / HISTORY
    history: list[Invocation] = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                history.append(Invocation.model_validate_json(line))
            except ValueError:
                continue
    history.append(record)
    write_atomic(path, "".join(h.model_dump_json() + "\n" for h in history))
    return history


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
