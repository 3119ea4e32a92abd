"""The generated workbook docs/tableau/SocialPulse.twb and its packaged twin (.twbx).

Without a stack: the dashboards read only documented mart columns, the committed file has
what Tableau's workbook schema requires (the structural rules the XSD check found missing
before: ``cards`` in every worksheet window, ``simple-id`` on every sheet, dashboard and
window), its data sources are the marts of the YAML, and the generator reports mismatches.
On the test stack (real marts): the committed file is exactly what the generator makes from
the YAML and the marts' real ClickHouse types, every field's type is the ClickHouse type's,
and the packaged workbook opens the extracts `make extracts` writes.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from marts_world import PublishedMarts
from tableauhyperapi import Connection, TableName

from infra.stack.clickhouse import ClickHouseService
from socialpulse.settings import Settings
from socialpulse.tableau import extracts
from socialpulse.tableau.dashboards import (
    MARTS_DATABASE,
    WORKBOOK,
    Agg,
    Dashboard,
    Sheet,
    Workbook,
)
from socialpulse.tableau.workbook import (
    EXTRACTS_FROM_DOCS,
    PACKAGED_EXTRACTS,
    WORKBOOK_PATH,
    WorkbookError,
    build,
    clickhouse_types,
    documented_marts,
    generate,
    load_marts,
    package_twbx,
    write_twbx,
)

USER_NS = "{http://www.tableausoftware.com/xml/user}"
INSTANCE_REF = re.compile(r"\[[\w.]+\]\.\[[^\]]+\]")
#: ClickHouse type kind (extracts.hyper_column) -> Tableau datatype
TABLEAU_DATATYPE = {
    "int": "integer",
    "uint64": "integer",
    "float": "real",
    "decimal": "real",
    "wide_decimal": "real",
    "date": "date",
    "timestamp": "datetime",
    "text": "string",
    "bool": "boolean",
}


@pytest.fixture(scope="module")
def workbook() -> ET.Element:
    return ET.parse(WORKBOOK_PATH).getroot()


def datasources(root: ET.Element) -> dict[str, ET.Element]:
    return {ds.attrib["name"]: ds for ds in root.findall("./datasources/datasource")}


def mart_of(datasource: ET.Element) -> str:
    relation = datasource.find("./connection/relation")
    assert relation is not None
    match = re.fullmatch(r"\[Extract\]\.\[(\w+)\]", relation.attrib["table"])
    assert match, relation.attrib["table"]
    return match.group(1)


# --- without a stack ----------------------------------------------------------------------
def test_every_sheet_reads_documented_mart_columns() -> None:
    documented = {mart: {c for c, _ in cols} for mart, (_, cols) in documented_marts().items()}
    missing = [
        f"{mart}.{column} (sheets: {', '.join(sheets)})"
        for mart, columns in WORKBOOK.columns_used().items()
        for column, sheets in columns.items()
        if column not in documented.get(mart, set())
    ]
    assert missing == []


def test_every_seed_metric_group_is_a_dashboard() -> None:
    names = [d.name for d in WORKBOOK.dashboards]
    assert names == [
        "Overview",
        "Platform activity",
        "Social graph and influence",
        "Communities and topics",
        "Monetisation",
    ]
    on_a_dashboard = {s for d in WORKBOOK.dashboards[1:] for s in d.sheets}
    assert on_a_dashboard == {s.name for s in WORKBOOK.sheets}  # every sheet has a home


def test_the_workbook_has_what_tableaus_schema_requires(workbook: ET.Element) -> None:
    assert workbook.attrib["version"] == "18.1"
    assert workbook.attrib["source-build"].startswith("2023.1.0")
    sheets = [w.attrib["name"] for w in workbook.findall("./worksheets/worksheet")]
    dashboards = [d.attrib["name"] for d in workbook.findall("./dashboards/dashboard")]
    assert sheets == [s.name for s in WORKBOOK.sheets]
    assert dashboards == [d.name for d in WORKBOOK.dashboards]
    uuids = []
    for element in [
        *workbook.iterfind("./worksheets/worksheet"),
        *workbook.iterfind("./dashboards/dashboard"),
    ]:
        simple_id = element.find("./simple-id")
        assert simple_id is not None, element.attrib["name"]
        assert list(element)[-1] is simple_id  # the last child, as the schema's sequence says
        uuids.append(simple_id.attrib["uuid"])
    windows = workbook.findall("./windows/window")
    assert {w.attrib["name"] for w in windows} == set(sheets) | set(dashboards)
    for window in windows:
        children = [child.tag for child in window]
        if window.attrib["class"] == "worksheet":
            assert children == ["cards", "simple-id"], window.attrib["name"]
            edges = [e.attrib["name"] for e in window.iterfind("./cards/edge")]
            assert edges == ["left", "top"]
        else:
            assert children == ["viewpoints", "active", "simple-id"], window.attrib["name"]
        uuids.append(window.find("./simple-id").attrib["uuid"])  # type: ignore[union-attr]
    assert len(uuids) == len(set(uuids))
    assert all(re.fullmatch(r"\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", u) for u in uuids)
    assert workbook.find("./explain-data/explanation-types") is not None


def test_every_mart_of_the_yaml_is_a_data_source_on_its_extract(workbook: ET.Element) -> None:
    documented = documented_marts()
    found = datasources(workbook)
    assert [mart_of(ds) for ds in found.values()] == list(documented)
    for ds in found.values():
        mart = mart_of(ds)
        (hyper,) = ds.findall(".//named-connection/connection")
        assert hyper.attrib["class"] == "hyper"
        assert hyper.attrib["dbname"] == f"{EXTRACTS_FROM_DOCS}/{mart}.hyper"
        assert (WORKBOOK_PATH.parent / hyper.attrib["dbname"]).resolve() == (
            extracts.DEFAULT_OUT / f"{mart}.hyper"
        )
        # every documented column, in the YAML's order, with its description
        records = [r.findtext("remote-name") for r in ds.iterfind(".//metadata-record")]
        columns = documented[mart][1]
        assert records == [c for c, _ in columns]
        fields = {c.attrib["name"]: c for c in ds.findall("./column")}
        for name, description in columns:
            desc = fields[f"[{name}]"].findtext("./desc/formatted-text/run")
            assert desc == description, f"{mart}.{name}"


def test_every_shelf_filter_and_zone_uses_what_its_sheet_declares(workbook: ET.Element) -> None:
    names = set(datasources(workbook))
    sheet_filters: dict[str, set[str]] = {}
    for sheet in workbook.findall("./worksheets/worksheet"):
        name = sheet.attrib["name"]
        declared = {
            f"[{deps.attrib['datasource']}].{inst.attrib['name']}"
            for deps in sheet.iter("datasource-dependencies")
            for inst in deps.findall("column-instance")
        }
        assert {d.attrib["name"] for d in sheet.findall(".//view/datasources/datasource")} <= names
        shelves = [sheet.findtext(f"./table/{shelf}", "") for shelf in ("rows", "cols")]
        filters = [f.attrib["column"] for f in sheet.iterfind(".//view/filter")]
        shelves += filters + [e.attrib["column"] for e in sheet.iter("computed-sort")]
        used = set(INSTANCE_REF.findall(" ".join(shelves)))
        assert used, name
        assert used <= declared, f"{name}: {used - declared}"
        sheet_filters[name] = set(filters)
        fields = {c.attrib["name"] for c in sheet.iter("column") if "name" in c.attrib}
        for calc in sheet.iter("calculation"):
            for ref in re.findall(r"\[([^\[\]]+)\]", calc.attrib["formula"]):
                assert f"[{ref}]" in fields, f"{name}: {ref}"
    for dashboard in workbook.findall("./dashboards/dashboard"):
        for zone in dashboard.iter("zone"):
            if zone.get("type-v2") == "filter":
                assert zone.attrib["param"] in sheet_filters[zone.attrib["name"]]
            elif "name" in zone.attrib:
                assert zone.attrib["name"] in sheet_filters


def test_every_dashboard_shows_its_sheets_once_without_overlap(workbook: ET.Element) -> None:
    spec = {d.name: d.sheets for d in WORKBOOK.dashboards}
    for dashboard in workbook.findall("./dashboards/dashboard"):
        name = dashboard.attrib["name"]
        zones = [z for z in dashboard.iter("zone") if z.get("type-v2") is None]
        assert [z.attrib["name"] for z in zones] == list(spec[name])
        boxes = [
            (int(z.attrib["x"]), int(z.attrib["y"]), int(z.attrib["w"]), int(z.attrib["h"]))
            for z in dashboard.iter("zone")
            if z.get("type-v2") != "layout-basic"
        ]
        for i, (x, y, w, h) in enumerate(boxes):
            assert x >= 0, name
            assert y >= 0, name
            assert x + w <= 100_000, name
            assert y + h <= 100_000, name
            for x2, y2, w2, h2 in boxes[i + 1 :]:
                assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, name
        # the sheets fill the page below the title (and filter) rows
        top = min(int(z.attrib["y"]) for z in zones)
        assert sum(int(z.attrib["w"]) * int(z.attrib["h"]) for z in zones) == 100_000 * (
            100_000 - top
        )


def _types() -> dict[str, dict[str, str]]:
    """ClickHouse-like types for every documented column (for generator unit tests)."""
    return {
        mart: {
            c: "Date" if c.endswith("_date") else "Nullable(Float64)" if "ratio" in c else "UInt64"
            for c, _ in cols
        }
        for mart, (_, cols) in documented_marts().items()
    }


def test_the_generator_reports_every_mismatch_between_yaml_and_clickhouse() -> None:
    types = _types()
    del types["mart_topics"]
    types["mart_platform_daily"].pop("dau")
    types["mart_revenue_daily"]["surprise"] = "UInt8"
    with pytest.raises(WorkbookError) as err:
        load_marts(types)
    message = str(err.value)
    assert "mart_topics: documented in _marts.yml but not built in ClickHouse" in message
    assert "mart_platform_daily: ClickHouse has no column dau" in message
    assert "mart_revenue_daily: column surprise is not documented in the YAML" in message


def test_a_sheet_on_a_missing_column_stops_the_generator() -> None:
    broken = Workbook(
        (
            Sheet(
                "Ghost", "mart_platform_daily", "trend", (Agg("ghosts"),), "", axis="activity_date"
            ),
        ),
        (Dashboard("D", "d", "", ("Ghost",)),),
    )
    with pytest.raises(
        WorkbookError, match=r"mart_platform_daily.ghosts \(sheets Ghost\) does not exist"
    ):
        build(load_marts(_types()), broken)


def test_the_generator_is_deterministic_and_the_twbx_is_a_packaged_copy(tmp_path: Path) -> None:
    marts = load_marts(_types())
    assert build(marts) == build(marts)
    hyper_files = []
    for mart in marts:
        path = tmp_path / f"{mart.name}.hyper"
        path.write_bytes(b"hyper " + mart.name.encode())
        hyper_files.append(path)
    out = package_twbx(build(marts, extracts=PACKAGED_EXTRACTS), hyper_files, tmp_path / "x.twbx")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert names[0] == "SocialPulse.twb"
        assert sorted(names[1:]) == sorted(f"Data/Extracts/{m.name}.hyper" for m in marts)
        inner = ET.fromstring(zf.read("SocialPulse.twb"))
        for ds in inner.iterfind("./datasources/datasource"):
            dbname = ds.find(".//named-connection/connection").attrib["dbname"]  # type: ignore[union-attr]
            assert dbname in names
            assert zf.read(dbname) == b"hyper " + mart_of(ds).encode()
    assert not list(tmp_path.glob(".*part"))


# --- on the test stack ---------------------------------------------------------------------
@pytest.mark.stack
@pytest.mark.slow
def test_the_committed_workbook_is_what_the_generator_makes_from_the_marts(
    published_marts: PublishedMarts, settings: Settings
) -> None:
    client = extracts.connect(settings)  # the analyst, as Tableau
    try:
        generated = generate(client)
    finally:
        client.close()
    assert generated == WORKBOOK_PATH.read_text(), (
        "docs/tableau/SocialPulse.twb is stale: build the marts and run "
        "`python -m socialpulse.tableau.workbook`, then commit it"
    )


@pytest.mark.stack
@pytest.mark.slow
def test_every_field_has_the_type_of_its_clickhouse_column(
    published_marts: PublishedMarts, clickhouse: ClickHouseService, workbook: ET.Element
) -> None:
    admin: Client = clickhouse.client()
    try:
        real = clickhouse_types(admin, MARTS_DATABASE)
    finally:
        admin.close()
    wrong = []
    checked = 0
    for ds in datasources(workbook).values():
        mart = mart_of(ds)
        records = {r.findtext("remote-name"): r for r in ds.iterfind(".//metadata-record")}
        for column in ds.findall("./column"):
            if column.find("calculation") is not None:
                continue
            name = column.attrib["name"].strip("[]")
            ch_type = real[mart][name]
            kind = extracts.hyper_column(name, ch_type)
            record = records[name]
            got = (
                column.attrib["datatype"],
                record.findtext("local-type"),
                record.findtext("contains-null"),
            )
            want = (
                TABLEAU_DATATYPE[kind.kind],
                TABLEAU_DATATYPE[kind.kind],
                str(kind.nullable).lower(),
            )
            if got != want:
                wrong.append(f"{mart}.{name} ({ch_type}): workbook {got}, ClickHouse {want}")
            checked += 1
    assert wrong == []
    assert checked == sum(len(real[mart_of(ds)]) for ds in datasources(workbook).values())


@pytest.mark.stack
@pytest.mark.slow
def test_make_extracts_packages_a_twbx_that_opens_its_extracts(
    published_marts: PublishedMarts, settings: Settings, tmp_path: Path
) -> None:
    client = extracts.connect(settings)
    try:
        written = extracts.extract_database(client, MARTS_DATABASE, tmp_path / "extracts")
        out = write_twbx(client, tmp_path / "extracts", tmp_path / "SocialPulse.twbx")
    finally:
        client.close()
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(unpacked)
    twb = ET.parse(unpacked / "SocialPulse.twb").getroot()
    with extracts.hyper_process() as hyper:
        for ds in datasources(twb).values():
            mart = mart_of(ds)
            dbname = ds.find(".//named-connection/connection").attrib["dbname"]  # type: ignore[union-attr]
            assert dbname == f"{PACKAGED_EXTRACTS}/{mart}.hyper"
            with Connection(hyper.endpoint, unpacked / dbname) as conn:
                definition = conn.catalog.get_table_definition(TableName("Extract", mart))
                columns = [str(c.name.unescaped) for c in definition.columns]
                rows = conn.execute_scalar_query(f'SELECT COUNT(*) FROM "Extract"."{mart}"')
            assert columns == [r.findtext("remote-name") for r in ds.iterfind(".//metadata-record")]
            assert rows == {r.table: r.rows for r in written}[mart]
            assert rows > 0, mart
    shutil.rmtree(unpacked)


def test_the_docs_name_every_dashboard_and_sheet() -> None:
    docs = (WORKBOOK_PATH.parent.parent / "tableau.md").read_text()
    assert "docs/tableau/SocialPulse.twb" in docs
    missing = [
        n
        for n in [*(d.name for d in WORKBOOK.dashboards), *(s.name for s in WORKBOOK.sheets)]
        if n not in docs
    ]
    assert missing == []
