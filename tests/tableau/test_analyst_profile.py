"""The analyst's ClickHouse profile is the same natively and in compose: read-only, LZ4 for
compressed HTTP answers (what the JDBC driver decodes), and exactly two settings a client may
still send (the driver's async_insert, the Tableau connector's join_use_nulls).

The live behaviour is tested with the real driver in test_jdbc_live.py; this pins the two
config files to each other, since compose cannot run here."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from socialpulse.settings import REPO_ROOT

NATIVE = REPO_ROOT / "infra" / "clickhouse" / "users.xml"
COMPOSE = REPO_ROOT / "infra" / "clickhouse" / "users.d" / "socialpulse.xml"


def profile(path: str, name: str) -> ET.Element:
    # the native file is a template: ${pipeline_user} and the like become plain names
    root = ET.fromstring(re.sub(r"\$\{(\w+)\}", r"\1", (REPO_ROOT / path).read_text()))
    found = root.find(f"./profiles/{name}")
    assert found is not None, f"{path} has no profile {name}"
    return found


@pytest.mark.parametrize("path", [NATIVE, COMPOSE], ids=["native", "compose"])
def test_the_analyst_profile_is_read_only_with_lz4_and_two_changeable_settings(
    path: object,
) -> None:
    readonly = profile(str(path), "readonly")
    assert readonly.findtext("readonly") == "1"
    assert readonly.findtext("network_compression_method") == "LZ4"
    constraints = readonly.find("constraints")
    assert constraints is not None
    assert {c.tag: [k.tag for k in c] for c in constraints} == {
        "async_insert": ["changeable_in_readonly"],
        "join_use_nulls": ["changeable_in_readonly"],
    }
    default = profile(str(path), "default")
    assert default.findtext("network_compression_method") == "LZ4"
