"""The hand-written workbook docs/tableau/SocialPulse.twb: valid XML that only uses mart
columns that exist, opens the extracts `make extracts` writes, and lays out the dashboard."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from socialpulse.settings import REPO_ROOT
from socialpulse.tableau.extracts import DEFAULT_OUT, hyper_column

WORKBOOK = REPO_ROOT / "docs" / "tableau" / "SocialPulse.twb"
MARTS_YAML = sorted((REPO_ROOT / "dbt_project" / "models" / "marts").glob("*.yml"))

#: The planned marts (issue 6), used only when the dbt YAML -- the source of truth -- is absent.
PLANNED_COLUMNS = {
    "mart_platform_daily": "activity_date posts stories reels comments reactions views "
    "interactions avg_interactions_per_post dau wau dau_wau_ratio new_users",
    "mart_user_profile": "user_id username country registered_at lifecycle_status friends "
    "followers following pagerank pagerank_rank posts stories reels comments reposts_received "
    "quotes_received group_memberships communities",
    "mart_post_virality": "post_id author_id created_at community_id topic views unique_viewers "
    "time_to_1000_views_s shares quotes comments reactions reactions_like reactions_love "
    "reactions_care reactions_haha reactions_wow reactions_sad reactions_angry",
    "mart_social_graph_summary": "users avg_friends avg_followers friendships follows "
    "pagerank_run_ts",
    "mart_friendship_depth": "depth pairs share",
    "mart_community_daily": "community_id activity_date community_name members_joined "
    "members_left net_member_growth growth_rank members active_members engagement_ratio posts "
    "comments reactions moderators complaints complaints_per_moderator",
    "mart_topics": "topic posts reels comments discussion_rank",
    "mart_ad_performance_daily": "activity_date ad_id campaign_id advertiser_id impressions "
    "clicks ctr",
    "mart_campaign_performance_daily": "activity_date campaign_id advertiser_id impressions "
    "clicks ctr",
    "mart_revenue_daily": "activity_date currency donations donation_amount sponsorships "
    "sponsorship_amount subscription_payments subscription_revenue total_revenue",
}
#: ClickHouse types of the columns the workbook uses (the planned types of issue 6)
PLANNED_TYPES = {
    "activity_date": "Date",
    "dau": "UInt64",
    "wau": "UInt64",
    "user_id": "UInt64",
    "username": "String",
    "pagerank": "Nullable(Float64)",
    "community_name": "String",
    "net_member_growth": "Int64",
    "impressions": "UInt64",
    "clicks": "UInt64",
    "currency": "String",
    "total_revenue": "Decimal(18, 2)",
}
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
DASHBOARD_SHEETS = {
    "Activity",
    "Influence",
    "Communities",
    "Monetisation CTR",
    "Monetisation revenue",
}
FIELD_REF = re.compile(r"\[([^\[\]]+)\]")


def mart_columns() -> dict[str, set[str]]:
    """Columns per mart: from dbt_project/models/marts/*.yml if present, else the plan."""
    if MARTS_YAML:
        marts: dict[str, set[str]] = {}
        for path in MARTS_YAML:
            for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
                marts[model["name"]] = {c["name"] for c in model.get("columns", [])}
        return marts
    return {mart: set(cols.split()) for mart, cols in PLANNED_COLUMNS.items()}


@pytest.fixture(scope="module")
def workbook() -> ET.Element:
    return ET.parse(WORKBOOK).getroot()


def datasources(workbook: ET.Element) -> dict[str, ET.Element]:
    return {ds.attrib["name"]: ds for ds in workbook.findall("./datasources/datasource")}


def mart_of(datasource: ET.Element) -> str:
    relation = datasource.find("./connection/relation")
    assert relation is not None
    match = re.fullmatch(r"\[Extract\]\.\[(\w+)\]", relation.attrib["table"])
    assert match, relation.attrib["table"]
    return match.group(1)


def test_every_datasource_opens_a_mart_extract_that_make_extracts_writes(
    workbook: ET.Element,
) -> None:
    marts = mart_columns()
    found = datasources(workbook)
    assert {mart_of(ds) for ds in found.values()} == {
        "mart_platform_daily",
        "mart_user_profile",
        "mart_community_daily",
        "mart_campaign_performance_daily",
        "mart_revenue_daily",
    }
    for ds in found.values():
        mart = mart_of(ds)
        assert mart in marts, f"{mart} is not a mart"
        (hyper,) = ds.findall(".//named-connection/connection")
        assert hyper.attrib["class"] == "hyper"
        assert hyper.attrib["schema"] == "Extract"
        assert hyper.attrib["dbname"] == f"../../extracts/{mart}.hyper"
        assert (WORKBOOK.parent / hyper.attrib["dbname"]).resolve() == DEFAULT_OUT / f"{mart}.hyper"


def test_every_column_the_workbook_references_exists_in_its_mart(workbook: ET.Element) -> None:
    marts = mart_columns()
    found = datasources(workbook)
    missing = []

    def check(ds_name: str, column: str, where: str) -> None:
        mart = mart_of(found[ds_name])
        if not column.startswith("Calculation_") and column not in marts[mart]:
            missing.append(f"{where}: {mart}.{column}")

    for name, ds in found.items():
        for col in ds.findall("./column"):
            check(name, col.attrib["name"].strip("[]"), "datasource column")
            for calc in col.findall("calculation"):
                for ref in FIELD_REF.findall(calc.attrib["formula"]):
                    check(name, ref, f"formula of {col.attrib['name']}")
        for record in ds.findall(".//metadata-record"):
            check(name, record.findtext("remote-name", ""), "metadata record")
            check(name, record.findtext("local-name", "").strip("[]"), "metadata record")
    for sheet in workbook.findall("./worksheets/worksheet"):
        for deps in sheet.findall(".//datasource-dependencies"):
            ds_name = deps.attrib["datasource"]
            for col in deps.findall("column"):
                check(ds_name, col.attrib["name"].strip("[]"), sheet.attrib["name"])
            for inst in deps.findall("column-instance"):
                check(ds_name, inst.attrib["column"].strip("[]"), sheet.attrib["name"])
        for group in sheet.findall(".//groupfilter[@expression]"):
            (ds_name,) = {d.attrib["datasource"] for d in sheet.iter("datasource-dependencies")}
            for ref in FIELD_REF.findall(group.attrib["expression"]):
                check(ds_name, ref, f"{sheet.attrib['name']} filter")
    assert missing == []


def test_column_datatypes_follow_the_extract_type_mapping(workbook: ET.Element) -> None:
    for ds in datasources(workbook).values():
        for col in ds.findall("./column"):
            if col.find("calculation") is not None:
                continue
            name = col.attrib["name"].strip("[]")
            kind = hyper_column(name, PLANNED_TYPES[name]).kind
            assert col.attrib["datatype"] == TABLEAU_DATATYPE[kind], f"{mart_of(ds)}.{name}"


def test_every_shelf_uses_a_declared_column_instance(workbook: ET.Element) -> None:
    names = set(datasources(workbook))
    for sheet in workbook.findall("./worksheets/worksheet"):
        declared = {
            f"[{deps.attrib['datasource']}].{inst.attrib['name']}"
            for deps in sheet.iter("datasource-dependencies")
            for inst in deps.findall("column-instance")
        }
        assert {d.attrib["name"] for d in sheet.findall(".//view/datasources/datasource")} <= names
        shelves = [sheet.findtext(f"./table/{shelf}", "") for shelf in ("rows", "cols")]
        shelves += [e.attrib["column"] for e in sheet.iter() if e.tag in ("color", "filter")]
        used = set(re.findall(r"\[[\w.]+\]\.\[[^\]]+\]", " ".join(shelves)))
        assert used, sheet.attrib["name"]
        assert used <= declared, f"{sheet.attrib['name']}: {used - declared}"


def test_the_overview_dashboard_shows_the_four_areas(workbook: ET.Element) -> None:
    (dashboard,) = workbook.findall("./dashboards/dashboard")
    assert dashboard.attrib["name"] == "SocialPulse overview"
    zones = {z.attrib["name"] for z in dashboard.iter("zone") if "name" in z.attrib}
    assert zones == DASHBOARD_SHEETS
    assert {w.attrib["name"] for w in workbook.findall("./worksheets/worksheet")} == zones
    windows = {w.attrib["name"] for w in workbook.findall("./windows/window")}
    assert windows == zones | {"SocialPulse overview"}


def test_the_workbook_is_found_where_the_docs_say(workbook: ET.Element) -> None:
    docs = (REPO_ROOT / "docs" / "tableau.md").read_text()
    assert str(WORKBOOK.relative_to(REPO_ROOT)) in docs
    assert Path("extracts") == DEFAULT_OUT.relative_to(REPO_ROOT)
