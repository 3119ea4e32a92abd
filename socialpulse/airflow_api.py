"""A small client for the Airflow 3 REST API (v2) of the running standalone."""

from __future__ import annotations

import time
from typing import Any

import httpx

from socialpulse.settings import Settings

TERMINAL_STATES = {"success", "failed"}


class AirflowApiError(RuntimeError):
    """The REST API refused a call or a DAG run did not finish in time."""


class AirflowApi:
    def __init__(self, settings: Settings, timeout_s: float = 15.0) -> None:
        self.base = settings.airflow_url
        token = self._token(settings, timeout_s)
        self.client = httpx.Client(
            base_url=f"{self.base}/api/v2",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
        )

    @staticmethod
    def _token(settings: Settings, timeout_s: float) -> str:
        try:
            resp = httpx.post(
                f"{settings.airflow_url}/auth/token",
                json={
                    "username": settings.airflow_admin_user,
                    "password": settings.airflow_admin_password.get_secret_value(),
                },
                timeout=timeout_s,
            )
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise AirflowApiError(
                f"cannot log in to Airflow at {settings.airflow_url}: {exc}"
            ) from exc
        return str(resp.json()["access_token"])

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = self.client.request(method, path, **kwargs)
            resp.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise AirflowApiError(
                f"{method} {path} -> {exc.response.status_code}: {exc.response.text[:500]}"
            ) from exc
        except httpx.HTTPError as exc:
            raise AirflowApiError(f"{method} {path} failed: {exc}") from exc
        return resp.json() if resp.content else None

    def wait_for_dag(self, dag_id: str, timeout_s: float = 120.0) -> None:
        """Wait until the dag-processor has parsed ``dag_id`` (new files appear after a scan)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._call("GET", f"/dags/{dag_id}")
                return
            except AirflowApiError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self._call(
            "PATCH",
            f"/dags/{dag_id}",
            params={"update_mask": "is_paused"},
            json={"is_paused": paused},
        )

    def unpause(self, dag_id: str) -> None:
        self.set_paused(dag_id, False)

    def is_paused(self, dag_id: str) -> bool:
        return bool(self._call("GET", f"/dags/{dag_id}")["is_paused"])

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        body = {"logical_date": None, "conf": conf or {}}
        run = self._call("POST", f"/dags/{dag_id}/dagRuns", json=body)
        return str(run["dag_run_id"])

    def fail_unfinished_runs(self, dag_id: str) -> list[str]:
        """Mark every queued or running run of ``dag_id`` failed (its running tasks are
        stopped): a clean slate for a new series of runs. The run ids it ended."""
        params = {"state": ["queued", "running"]}
        runs = self._call("GET", f"/dags/{dag_id}/dagRuns", params=params)["dag_runs"]
        ended = [str(run["dag_run_id"]) for run in runs]
        for run_id in ended:
            self._call("PATCH", f"/dags/{dag_id}/dagRuns/{run_id}", json={"state": "failed"})
        return ended

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        """The run's state; None when the API did not answer in time (a busy machine)."""
        try:
            return str(self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])
        except AirflowApiError as exc:
            if isinstance(exc.__cause__, httpx.TimeoutException):
                return None
            raise

    def wait_for_run(self, dag_id: str, run_id: str, timeout_s: float = 300.0) -> str:
        """Poll until the run is success/failed; return that state."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in TERMINAL_STATES:
                return str(state)
            time.sleep(2)
        raise AirflowApiError(f"{dag_id} run {run_id} did not finish within {timeout_s:.0f}s")

    def paged(self, path: str, field: str) -> list[dict[str, Any]]:
        """Every item of a list endpoint (the API serves at most 100 per page)."""
        found: list[dict[str, Any]] = []
        while True:
            page = self._call("GET", path, params={"limit": 100, "offset": len(found)})
            found.extend(page[field])
            if not page[field] or len(found) >= page["total_entries"]:
                return found

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of the run."""
        return self.paged(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", "task_instances")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        return {ti["task_id"]: ti["state"] for ti in self.task_instances(dag_id, run_id)}

    def run_dag(
        self, dag_id: str, conf: dict[str, Any] | None = None, timeout_s: float = 300.0
    ) -> tuple[str, str]:
        """Unpause, trigger and wait: returns (run_id, final state)."""
        self.wait_for_dag(dag_id)
        self.unpause(dag_id)
        run_id = self.trigger(dag_id, conf)
        return run_id, self.wait_for_run(dag_id, run_id, timeout_s)
