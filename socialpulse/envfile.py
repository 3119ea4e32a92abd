"""Create the git-ignored ``.env`` from ``.env.example``, filling every secret at random."""

from __future__ import annotations

import secrets
from pathlib import Path

PLACEHOLDER = "change-me"


def init_env(example: Path, target: Path) -> bool:
    """Write ``target`` from ``example`` unless it exists; returns True if it was written.

    Each ``change-me`` becomes its own random token, so no secret ever lives in the repo.
    """
    if target.exists():
        return False
    lines = []
    for line in example.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and value.strip() == PLACEHOLDER:
            line = f"{key}={secrets.token_urlsafe(18)}"
        lines.append(line)
    target.write_text("\n".join(lines) + "\n")
    target.chmod(0o600)
    return True
