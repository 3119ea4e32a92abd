"""dbt in the pipeline: paths of the dbt project, the manifest Cosmos renders from, the
Cosmos configuration of the ``transform`` DAG and the dbt docs site.

``python -m socialpulse.transform.manifest`` writes ``dbt_project/target/manifest.json``
(run it after changing models; ``make setup`` does), and
``python -m socialpulse.transform.docs serve`` serves the dbt docs site.
"""

from __future__ import annotations

from socialpulse.transform.project import (
    DBT_EXECUTABLE,
    DBT_PROJECT_DIR,
    DBT_TARGET_DIR,
    MANIFEST_PATH,
    dbt_env,
    run_dbt,
)

__all__ = [
    "DBT_EXECUTABLE",
    "DBT_PROJECT_DIR",
    "DBT_TARGET_DIR",
    "MANIFEST_PATH",
    "dbt_env",
    "run_dbt",
]
