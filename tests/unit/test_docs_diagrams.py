"""The rendered diagrams in docs/ are rebuilt from their draw.io sources (docs move with code)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from socialpulse.settings import REPO_ROOT

DIAGRAMS = sorted((REPO_ROOT / "docs" / "diagrams").glob("*.drawio"))


def _renderer():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "docs_diagram_render", REPO_ROOT / "docs/diagrams/render.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_diagram_render"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("source", DIAGRAMS, ids=lambda p: p.name)
def test_rendered_svg_is_up_to_date(source: Path) -> None:
    rendered = _renderer().render(source)
    assert source.with_suffix(".svg").read_text() == rendered, (
        f"run: python docs/diagrams/render.py {source.relative_to(REPO_ROOT)}"
    )


def test_every_box_label_is_drawn() -> None:
    svg = (REPO_ROOT / "docs/diagrams/architecture.svg").read_text()
    for word in ("MinIO", "PostgreSQL raw", "ClickHouse marts", "Neo4j", "Tableau"):
        assert word in svg
