from __future__ import annotations

from pathlib import Path

from socialpulse.envfile import PLACEHOLDER, init_env


def test_secrets_are_random_and_other_values_kept(tmp_path: Path) -> None:
    example = tmp_path / ".env.example"
    example.write_text(
        f"# comment={PLACEHOLDER}\nA_PASSWORD={PLACEHOLDER}\nB_PASSWORD={PLACEHOLDER}\nPORT=5432\n"
    )
    target = tmp_path / ".env"
    assert init_env(example, target) is True
    values = dict(
        line.split("=", 1) for line in target.read_text().splitlines() if not line.startswith("#")
    )
    assert values["PORT"] == "5432"
    assert PLACEHOLDER not in (values["A_PASSWORD"], values["B_PASSWORD"])
    assert values["A_PASSWORD"] != values["B_PASSWORD"]
    assert len(values["A_PASSWORD"]) >= 20
    assert target.read_text().startswith(f"# comment={PLACEHOLDER}")
    assert target.stat().st_mode & 0o077 == 0


def test_existing_env_is_never_overwritten(tmp_path: Path) -> None:
    example = tmp_path / ".env.example"
    example.write_text(f"A_PASSWORD={PLACEHOLDER}\n")
    target = tmp_path / ".env"
    target.write_text("A_PASSWORD=mine\n")
    assert init_env(example, target) is False
    assert target.read_text() == "A_PASSWORD=mine\n"


def test_secrets_are_letters_and_digits_only(tmp_path: Path) -> None:
    # a secret starting with "-" was read as an option by neo4j-admin
    example = tmp_path / ".env.example"
    example.write_text("\n".join(f"S{i}={PLACEHOLDER}" for i in range(200)) + "\n")
    target = tmp_path / ".env"
    init_env(example, target)
    values = [line.split("=", 1)[1] for line in target.read_text().splitlines()]
    assert len(set(values)) == 200
    assert all(v.isalnum() and v.isascii() and len(v) >= 24 for v in values)
