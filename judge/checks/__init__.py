"""Side signals on model outputs: degeneration screen, tool-call parsing, verified procedural
answers run in a sandbox, and the judge measured against that truth (seeds 000, 002-004).

Entry points for the stages and the CLI: :func:`run_checks` (every applicable check per output),
:func:`decide_pair` (a pair decided without the judge when a side is degenerate),
:func:`correctness` and :func:`truth_report` (accuracy, McNemar, judge vs truth).
"""

from judge.checks.degeneration import (
    DegenerationLabel,
    Screen,
    Thresholds,
    decide_pair,
    is_degenerate,
    screen,
)
from judge.checks.procedural import KINDS, check_answers, extract_python, generate_problems, write_problems
from judge.checks.runner import attach_checks, correctness, run_checks
from judge.checks.sandbox import ExecResult, ExecStatus, SandboxLimits, run_program, run_programs
from judge.checks.toolcalls import ParsedCalls, ToolCall, parse_tool_calls, score_tool_call
from judge.checks.truth import judge_vs_truth, model_accuracy, truth_report

__all__ = [
    "KINDS",
    "DegenerationLabel",
    "ExecResult",
    "ExecStatus",
    "ParsedCalls",
    "SandboxLimits",
    "Screen",
    "Thresholds",
    "ToolCall",
    "attach_checks",
    "check_answers",
    "correctness",
    "decide_pair",
    "extract_python",
    "generate_problems",
    "is_degenerate",
    "judge_vs_truth",
    "model_accuracy",
    "parse_tool_calls",
    "run_checks",
    "run_program",
    "run_programs",
    "score_tool_call",
    "screen",
    "truth_report",
    "write_problems",
]
