"""One short alert text from an Airflow callback context (DAG- or task-level)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)


def _failed_tasks(context: Mapping[str, Any]) -> list[str]:
    ti = context.get("ti") or context.get("task_instance")
    failed = [ti.task_id] if ti is not None and getattr(ti, "state", None) == "failed" else []
    dag_run: Any = context.get("dag_run")
    try:
        for other in dag_run.get_task_instances(state=["failed", "upstream_failed"]):
            if other.task_id not in failed and other.state == "failed":
                failed.append(other.task_id)
    except Exception as exc:  # the run object differs between processes; the tasks are a bonus
        log.warning("DEBUGX cannot list failed tasks: %r keys=%s", exc, sorted(context))
    if not failed and ti is not None and context.get("exception") is not None:
        failed.append(ti.task_id)
    return failed


def build(
    context: Mapping[str, Any], status: str, details: Mapping[str, Any], ui_url: str
) -> tuple[str, str]:
    """``(subject, body)``: DAG, run, state, failed tasks, counts, error, link."""
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    dag_id = getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", "?")
    run_id = getattr(dag_run, "run_id", None) or str(context.get("run_id", "?"))
    subject = f"[SocialPulse] {dag_id} {status.upper()}: {run_id}"
    lines = [subject]
    if status != "success":
        failed = _failed_tasks(context)
        if failed:
            lines.append("failed task(s): " + ", ".join(failed))
        error = context.get("exception") or context.get("reason")
        if error:
            lines.append(f"error: {str(error)[:500]}")
    lines += [f"{k}: {v}" for k, v in details.items()]
    if ui_url:
        lines.append(f"{ui_url.rstrip('/')}/dags/{dag_id}/runs/{quote(run_id, safe='')}")
    return subject, "\n".join(lines)
