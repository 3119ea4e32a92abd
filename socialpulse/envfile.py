"""Create the git-ignored ``.env`` from ``.env.example``, filling every secret at random."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

PLACEHOLDER = "change-me"
#: Letters and digits only: a secret is passed on command lines (neo4j-admin), in URLs and
#: DSNs, and one starting with "-" was read as an option (seen: token_urlsafe made one).
SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 24


def new_secret() -> str:
    """A random secret of ``SECRET_LENGTH`` letters and digits (~142 bits)."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


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
            line = f"{key}={new_secret()}"
        lines.append(line)
    target.write_text("\n".join(lines) + "\n")
    target.chmod(0o600)
    return True
