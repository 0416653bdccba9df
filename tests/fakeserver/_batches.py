"""The fake's Batch API: ``/v1/files`` and ``/v1/batches``, driven by polls.

Each batch follows a :class:`BatchPlan`, taken from :meth:`BatchAPI.plan` when the batch is created
(the default plan otherwise). Every ``GET /v1/batches/{id}`` moves it one poll along: ``validating``
for ``validating`` polls, ``in_progress`` for ``in_progress`` polls (the completed count rising),
``finalizing`` for one poll, then the plan's ``end`` state. The output and error files are written
on reaching the end: answered lines get auto-mode verdicts (as the chat endpoint gives), the first
``errors`` lines an error line (HTTP 500), the next ``missing`` lines nothing at all, the next
``bad_replies`` a reply missing its last id. ``end = "expired"`` or ``"cancelled"`` answers only the
first ``done`` lines and writes ``batch_expired``/``batch_cancelled`` error lines for the rest;
``end = "failed"`` answers nothing and carries a validation error. ``create_stall`` seconds pass
between making the batch and answering its POST (a client killed then has no id);
``create_drop`` makes the batch and closes the connection without an answer.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any, Protocol

from fakeserver._actions import (
    Auto,
    Policy,
    error_body,
    last_user_text,
    parse_comparisons,
    verdict_payload,
    wrap,
)

__all__ = ["BatchAPI", "BatchPlan"]


@dataclass(frozen=True)
class BatchPlan:
    """How one batch behaves (see the module docstring)."""

    validating: int = 1
    in_progress: int = 2
    end: str = "completed"
    errors: int = 0
    missing: int = 0
    bad_replies: int = 0
    done: int | None = None
    create_stall: float = 0.0
    create_drop: bool = False


class _Handler(Protocol):
    path: str
    headers: Any
    connection: Any
    close_connection: bool

    def _send(
        self, status: int, payload: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> None: ...


class BatchAPI:
    """Files and batches held in memory by a FakeServer (thread-safe)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.created = 0  # POST /v1/batches that made a batch
        self._plans: list[BatchPlan] = []
        self._state: dict[str, tuple[BatchPlan, int]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def plan(self, *plans: BatchPlan) -> None:
        """Queue plans for the next batches created, in order."""
        with self._lock:
            self._plans.extend(plans)

    def handle(self, h: _Handler, method: str, raw: bytes) -> bool:
        """Answer a files/batches request; False when the path is not one of ours."""
        parts = h.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) < 2 or parts[0] != "v1" or parts[1] not in ("files", "batches"):
            return False
        with self._lock:
            status, payload = self._route(h, method, parts[1:], raw)
            plan = self._state[payload["id"]][0] if payload_is_new_batch(method, parts, payload) else None
        if plan is not None and plan.create_stall:
            time.sleep(plan.create_stall)  # outside the lock: polls of other batches go on
        if plan is not None and plan.create_drop:
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return True
        h._send(status, payload)
        return True

    def _route(self, h: _Handler, method: str, parts: list[str], raw: bytes) -> tuple[int, Any]:
        kind, rest = parts[0], parts[1:]
        if kind == "files" and method == "POST" and not rest:
            return 200, self._upload(h.headers.get("Content-Type", ""), raw)
        if kind == "files" and method == "GET" and len(rest) == 2 and rest[1] == "content":
            got = self.files.get(rest[0])
            return (
                (200, got["content"]) if got else (404, error_body("no such file", "invalid_request_error"))
            )
        if kind == "batches" and method == "POST" and not rest:
            return self._create(json.loads(raw or b"{}"))
        if kind == "batches" and method == "GET" and not rest:
            data = sorted(self.batches.values(), key=lambda b: -b["created_at"])
            return 200, {"object": "list", "data": data, "has_more": False}
        if kind == "batches" and method == "GET" and len(rest) == 1 and rest[0] in self.batches:
            return 200, self._poll(rest[0])
        if kind == "batches" and method == "POST" and len(rest) == 2 and rest[1] == "cancel":
            batch = self.batches[rest[0]]
            self._state[rest[0]] = (
                BatchPlan(0, 0, "cancelled", done=batch["request_counts"]["completed"]),
                0,
            )
            batch["status"] = "cancelling"
            return 200, batch
        return 404, error_body(f"no route {method} /{'/'.join(parts)}", "invalid_request_error")

    def _new_file(self, content: str, purpose: str, name: str) -> dict[str, Any]:
        fid = f"file-{next(self._ids)}"
        meta = {
            "id": fid,
            "object": "file",
            "bytes": len(content.encode()),
            "created_at": int(time.time()),
            "filename": name,
            "purpose": purpose,
            "status": "processed",
        }
        self.files[fid] = {**meta, "content": content}
        return meta

    def _upload(self, content_type: str, raw: bytes) -> dict[str, Any]:
        msg = BytesParser(policy=email_policy).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        fields: dict[str, tuple[str, bytes]] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition") or ""
            payload = part.get_payload(decode=True)
            fields[str(name)] = (part.get_filename() or "", payload if isinstance(payload, bytes) else b"")
        filename, content = fields["file"]
        return self._new_file(content.decode(), fields["purpose"][1].decode(), filename)

    def _create(self, body: dict[str, Any]) -> tuple[int, Any]:
        fid = body.get("input_file_id", "")
        if fid not in self.files:
            return 400, error_body(f"no such file {fid}", "invalid_request_error")
        bid = f"batch_{next(self._ids)}"
        self.created += 1
        self._state[bid] = (self._plans.pop(0) if self._plans else BatchPlan(), 0)
        self.batches[bid] = {
            "id": bid,
            "object": "batch",
            "endpoint": body.get("endpoint"),
            "errors": None,
            "input_file_id": fid,
            "completion_window": body.get("completion_window", "24h"),
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": int(time.time()) + self.created,  # distinct, for newest-first lists
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        return 200, self.batches[bid]

    def _poll(self, bid: str) -> dict[str, Any]:
        batch = self.batches[bid]
        if batch["status"] in ("completed", "failed", "expired", "cancelled"):
            return batch
        plan, polls = self._state[bid]
        self._state[bid] = (plan, polls + 1)
        lines = self.files[batch["input_file_id"]]["content"].splitlines()
        total = len(lines)
        if polls < plan.validating:
            return batch
        batch["request_counts"]["total"] = total
        step = polls - plan.validating
        if step < plan.in_progress:
            batch["status"] = "in_progress"
            batch["request_counts"]["completed"] = total * step // max(plan.in_progress, 1)
        elif step == plan.in_progress:
            batch["status"] = "finalizing"
        else:
            self._end(batch, plan, [json.loads(line) for line in lines])
        return batch

    def _end(self, batch: dict[str, Any], plan: BatchPlan, requests: list[dict[str, Any]]) -> None:
        out, err = [], []
        answered = 0 if plan.end == "failed" else len(requests) if plan.done is None else plan.done
        for i, req in enumerate(requests):
            cid = req["custom_id"]
            if i >= answered:
                if plan.end != "failed":
                    err.append(_error_line(cid, f"batch_{plan.end}", f"request not run: batch {plan.end}"))
            elif i < plan.errors:
                err.append(_error_line(cid, None, "scripted server error", status=500))
            elif i < plan.errors + plan.missing:
                continue
            else:
                bad = i < plan.errors + plan.missing + plan.bad_replies
                out.append(self._answer(cid, req["body"], Auto(missing=1 if bad else 0)))
        batch["status"] = plan.end
        batch["request_counts"] = {"total": len(requests), "completed": len(out), "failed": len(err)}
        if plan.end == "failed":
            batch["errors"] = {
                "object": "list",
                "data": [
                    {
                        "code": "invalid_request",
                        "message": "scripted validation failure",
                        "line": 1,
                        "param": None,
                    }
                ],
            }
        if out:
            batch["output_file_id"] = self._new_file(
                "".join(f"{json.dumps(o)}\n" for o in out), "batch_output", "output.jsonl"
            )["id"]
        if err:
            batch["error_file_id"] = self._new_file(
                "".join(f"{json.dumps(e)}\n" for e in err), "batch_output", "errors.jsonl"
            )["id"]

    def _answer(self, cid: str, body: dict[str, Any], action: Auto) -> dict[str, Any]:
        text = last_user_text(body)
        content = (
            wrap(verdict_payload(text, self.policy, action), "plain") if parse_comparisons(text) else "echo"
        )
        sent = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        usage = {"prompt_tokens": sent // 4, "completion_tokens": len(content) // 4}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        completion = {
            "id": f"chatcmpl-{cid[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "usage": usage,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": None,
                    "message": {"role": "assistant", "content": content},
                }
            ],
        }
        response = {"status_code": 200, "request_id": f"req-{cid[:12]}", "body": completion}
        return {"id": f"batch_req_{cid[:12]}", "custom_id": cid, "response": response, "error": None}


def payload_is_new_batch(method: str, parts: list[str], payload: Any) -> bool:
    """Whether a request just created a batch (POST /v1/batches answered with one)."""
    return method == "POST" and parts[1:] == ["batches"] and isinstance(payload, dict) and "id" in payload


def _error_line(cid: str, code: str | None, message: str, status: int | None = None) -> dict[str, Any]:
    if status is not None:  # the request ran and the model endpoint answered an error
        body = error_body(message, "server_error")
        return {
            "id": f"batch_req_{cid[:12]}",
            "custom_id": cid,
            "error": None,
            "response": {"status_code": status, "request_id": "req-x", "body": body},
        }
    return {
        "id": f"batch_req_{cid[:12]}",
        "custom_id": cid,
        "response": None,
        "error": {"code": code, "message": message},
    }
