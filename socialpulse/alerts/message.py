"""One short alert text from an Airflow callback context (DAG- or task-level)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote


def _failed_task(context: Mapping[str, Any]) -> str | None:
    """The failed task: Airflow puts it in ``ti`` for task callbacks and, for DAG-level
    failure callbacks, the task instance that made the run fail."""
    ti = context.get("ti") or context.get("task_instance")
    return getattr(ti, "task_id", None)


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
        failed = _failed_task(context)
        if failed:
            lines.append(f"failed task: {failed}")
        error = context.get("exception") or context.get("reason")
        if error:
            lines.append(f"error: {str(error)[:500]}")
    lines += [f"{k}: {v}" for k, v in details.items()]
    if ui_url:
        lines.append(f"{ui_url.rstrip('/')}/dags/{dag_id}/runs/{quote(run_id, safe='')}")
    return subject, "\n".join(lines)
