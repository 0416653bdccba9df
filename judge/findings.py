"""Typed records of what the checks find about one output (no judge imports).

One :class:`Checks` record rides on every :class:`~judge.records.Generation` and every audit row.
The checks in :mod:`judge.checks` produce these records; the audit, the report and the truth
statistics read them by field, never by guessing at dict keys.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Checks", "DegenerationLabel", "Execution", "Injection", "Screen", "ToolCallScore"]

DegenerationLabel = Literal["good", "repetitive", "mode_collapse", "noise", "empty"]


class _Finding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Screen(_Finding):
    """The degeneration screen's label for one output, with the figures it was based on (seed 003)."""

    label: DegenerationLabel
    length: int = Field(description="Visible (non-space) characters.")
    unique_chars: int
    top_char_share: float = Field(description="Share of the most common visible character.")
    repetition_ratio: float = Field(description="Repeated character 4-grams in the last 256 characters.")
    repeated_ngrams: float = Field(description="Repeated word 4-grams (20 words or more).")
    weird_word_share: float
    has_keyword: bool
    has_operator: bool
    has_bracket: bool
    code: bool = Field(description="Whether the prompt asks for code.")

    @property
    def degenerate(self) -> bool:
        """Anything but ``good``."""
        return self.label != "good"


class Execution(_Finding):
    """A procedural answer's program run in the sandbox and compared with the known answer (seed 004)."""

    status: str = Field(description="ok, wrong, error, timeout, memory, output_limit, no_code, not_run ...")
    correct: bool | None = Field(default=None, description="None when it could not be decided.")
    stdout: str = ""
    stderr_tail: str = ""
    returncode: int | None = None
    duration_s: float = 0.0
    layers: list[str] = Field(default_factory=list, description="The isolation that applied.")
    reason: str | None = Field(default=None, description="Why it failed or was not run, in words.")
    kind: str | None = Field(default=None, description="Problem family (arithmetic, rpn, brackets).")
    difficulty: int | None = None
    split: str | None = None


class ToolCallScore(_Finding):
    """An output scored against the expected tool call, or against a direct answer (seed 000)."""

    expected: Literal["tool", "direct"]
    got: Literal["tool", "direct", "parse_error"]
    right_kind: bool
    right_tool: bool | None = None
    right_arguments: bool | None = None
    correct: bool
    error: str | None = None
    format: str | None = None
    calls: list[dict[str, Any]] = Field(default_factory=list, description="Parsed calls: name, arguments.")


class Injection(_Finding):
    """The prompt-injection screen: does the output imitate the judge prompt or address the judge?"""

    flagged: bool = False
    signals: list[str] = Field(default_factory=list, description="Which patterns matched, in words.")


class Checks(_Finding):
    """Everything the checks found about one output. Absent checks are None."""

    degeneration: Screen | None = None
    injection: Injection | None = None
    procedural: Execution | None = None
    toolcall: ToolCallScore | None = None

    @property
    def degenerate(self) -> bool:
        """The screen called the output degenerate."""
        return self.degeneration is not None and self.degeneration.degenerate

    @property
    def injection_suspected(self) -> bool:
        """The injection screen flagged the output (its pair is judged alone)."""
        return self.injection is not None and self.injection.flagged

    @property
    def correct(self) -> bool | None:
        """Verified right or wrong (execution first, then the tool call); None when unverifiable."""
        for check in (self.procedural, self.toolcall):
            if check is not None and check.correct is not None:
                return check.correct
        return None

    @property
    def good(self) -> bool | None:
        """What the checks alone say of the output: False when degenerate or verified wrong, True
        when screened (not degenerate) and, where verifiable, right; None when nothing was checked."""
        signals = [] if self.degeneration is None else [not self.degenerate]
        if self.correct is not None:
            signals.append(self.correct)
        return all(signals) if signals else None
