"""Generate the Tableau workbook from the marts' YAML, the real column types and the dashboards.

    python -m socialpulse.tableau.workbook                 # (re)write docs/tableau/SocialPulse.twb
    python -m socialpulse.tableau.workbook --check         # exit 1 if the committed file is stale
    python -m socialpulse.tableau.workbook --xsd twb_2023.1.0.xsd --xsd twb_2026.2.0.xsd

Inputs, nothing hand-written about the marts:

- ``dbt_project/models/marts/_marts.yml``: every mart becomes a data source, every documented
  column a field with its description (Tableau shows it on hover), in the YAML's order;
- the ClickHouse column types of the built marts (``system.columns`` of ``marts``, read as the
  analyst): each field's Tableau type and the ``.hyper`` remote type follow the same mapping
  the extracts use (:func:`socialpulse.tableau.extracts.hyper_column`), so the workbook opens
  the extracts `make extracts` writes without a type change;
- :mod:`socialpulse.tableau.dashboards`: the worksheets, their filters and the dashboards.

A mart documented in the YAML but not built (or built with other columns) stops the run with
the differences listed: build the marts (``make demo`` or ``dbt build --target ch``) first.
The output is deterministic (no timestamps; ``simple-id`` UUIDs derive from names), so
``--check`` and the test compare bytes. It validates against Tableau's published workbook
schemas (tableau/tableau-document-schemas, ``schemas/<version>/twb_<version>.xsd``) with
``--xsd``; those files are not part of this repository.

:func:`package_twbx` writes the packaged workbook for Tableau Public: the same workbook with
its data sources on ``Data/Extracts/<mart>.hyper`` inside the zip, plus those files.
"""

from __future__ import annotations

import argparse
import difflib
import math
import sys
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from socialpulse.settings import REPO_ROOT
from socialpulse.tableau import schema_check
from socialpulse.tableau.dashboards import (
    COMMUNITY_COLUMN,
    MARTS_DATABASE,
    WORKBOOK,
    Calc,
    Dashboard,
    Measure,
    Sheet,
    Workbook,
)
from socialpulse.tableau.extracts import HYPER_SCHEMA, HyperColumn, hyper_column

MARTS_YAML = REPO_ROOT / "dbt_project" / "models" / "marts" / "_marts.yml"
WORKBOOK_PATH = REPO_ROOT / "docs" / "tableau" / "SocialPulse.twb"
#: where the committed workbook finds the extracts (relative to docs/tableau/)
EXTRACTS_FROM_DOCS = "../../extracts"
#: where a packaged workbook (.twbx) keeps them (Tableau's own layout)
PACKAGED_EXTRACTS = "Data/Extracts"
TWBX_NAME = "SocialPulse.twbx"

USER_NS = "http://www.tableausoftware.com/xml/user"
#: the workbook format Tableau 2023.1 writes (and every release since reads)
WORKBOOK_VERSION = "18.1"
SOURCE_BUILD = "2023.1.0 (20231.23.0310.1045)"
#: names -> stable simple-id UUIDs (Tableau stamps one on every sheet, dashboard and window)
_UUID_NAMESPACE = uuid.UUID("6f1f7a52-3c0b-4f0e-9d55-7c6c2a0e5b11")

DASHBOARD_WIDTH, DASHBOARD_HEIGHT = 1400, 1000
_FULL = 100_000  # zone coordinates are in 1/100000 of the dashboard
_TITLE_H = 6_000
_FILTER_H = 7_000

#: ClickHouse type kind (socialpulse.tableau.extracts) -> Tableau datatype, ADO remote type
_TABLEAU_TYPE = {
    "int": ("integer", 20),
    "uint64": ("integer", 20),
    "float": ("real", 5),
    "decimal": ("real", 131),
    "wide_decimal": ("real", 131),
    "bool": ("boolean", 11),
    "date": ("date", 133),
    "timestamp": ("datetime", 135),
    "text": ("string", 129),
}
#: counts that are states, not events: summing them over days means nothing
_AVERAGED_COUNTS = {"dau", "wau"}
#: bookkeeping columns an analyst does not need in the field list
_TECHNICAL = {"vault_load_ts"}
_CAPTION_WORDS = {
    "dau": "DAU",
    "wau": "WAU",
    "ctr": "CTR",
    "pagerank": "PageRank",
    "utc": "UTC",
    "id": "id",
    "s": "(s)",
    "avg": "Average",
}
_CAPTIONS = {
    "activity_date": "Day (UTC)",
    "created_date": "Day published (UTC)",
    "dau_wau_ratio": "DAU/WAU ratio",
}


class WorkbookError(RuntimeError):
    """The workbook cannot be generated; the message says what to do."""


# --- inputs -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MartField:
    """One documented mart column with its ClickHouse type."""

    name: str
    description: str
    column: HyperColumn

    @property
    def datatype(self) -> str:
        return _TABLEAU_TYPE[self.column.kind][0]

    @property
    def remote_type(self) -> int:
        return _TABLEAU_TYPE[self.column.kind][1]

    @property
    def caption(self) -> str:
        return caption(self.name)

    @property
    def is_dimension(self) -> bool:
        if self.datatype in ("string", "boolean", "date", "datetime"):
            return True
        return self.name.endswith(("_id", "_rank")) or self.name == "depth"

    @property
    def field_type(self) -> str:
        if not self.is_dimension:
            return "quantitative"
        return "nominal" if self.datatype in ("string", "boolean") else "ordinal"

    @property
    def aggregation(self) -> str:
        if self.is_dimension:
            return "Count" if self.datatype in ("string", "boolean") else "Year"
        return "Avg" if self.datatype == "real" or self.name in _AVERAGED_COUNTS else "Sum"

    @property
    def default_format(self) -> str | None:
        if self.name.endswith("_ratio") or self.name in ("ctr", "share"):
            return "p0.0%"
        return None


@dataclass(frozen=True)
class Mart:
    name: str
    description: str
    fields: tuple[MartField, ...]

    def field(self, name: str) -> MartField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def caption(column: str) -> str:
    """``net_member_growth`` -> ``Net member growth``; acronyms kept (DAU, CTR, ...)."""
    if column in _CAPTIONS:
        return _CAPTIONS[column]
    words = [_CAPTION_WORDS.get(w, w) for w in column.split("_")]
    first = words[0]
    return " ".join([first[:1].upper() + first[1:], *words[1:]])


def documented_marts(path: Path = MARTS_YAML) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """mart -> (description, [(column, description)]) from the dbt YAML, in its order."""
    doc = yaml.safe_load(path.read_text()) or {}
    marts = {}
    for model in doc.get("models", []):
        columns = [
            (c["name"], " ".join(str(c.get("description", "")).split()))
            for c in model.get("columns", [])
        ]
        marts[model["name"]] = (" ".join(str(model.get("description", "")).split()), columns)
    if not marts:
        raise WorkbookError(f"{path} documents no model")
    return marts


def clickhouse_types(client: Any, database: str = MARTS_DATABASE) -> dict[str, dict[str, str]]:
    """table -> column -> ClickHouse type, from ``system.columns`` (dbt's transient relations
    skipped)."""
    rows = client.query(
        "SELECT table, name, type FROM system.columns WHERE database = {db:String} "
        "ORDER BY table, position",
        parameters={"db": database},
    ).result_rows
    types: dict[str, dict[str, str]] = {}
    for table, name, ch_type in rows:
        if "__dbt_" not in table:
            types.setdefault(table, {})[name] = ch_type
    return types


def load_marts(types: Mapping[str, Mapping[str, str]], yaml_path: Path = MARTS_YAML) -> list[Mart]:
    """The documented marts with their real types; every difference between the YAML and
    ClickHouse is reported at once."""
    problems = []
    marts = []
    for name, (description, columns) in documented_marts(yaml_path).items():
        built = types.get(name)
        if built is None:
            problems.append(f"{name}: documented in {yaml_path.name} but not built in ClickHouse")
            continue
        documented = [c for c, _ in columns]
        missing = [c for c in documented if c not in built]
        extra = [c for c in built if c not in documented]
        if missing:
            problems.append(f"{name}: ClickHouse has no column {', '.join(missing)}")
        if extra:
            problems.append(f"{name}: column {', '.join(extra)} is not documented in the YAML")
        if missing or extra:
            continue
        fields = tuple(
            MartField(column, text, hyper_column(column, built[column])) for column, text in columns
        )
        marts.append(Mart(name, description, fields))
    if problems:
        raise WorkbookError(
            "the marts in ClickHouse do not match their YAML:\n  "
            + "\n  ".join(problems)
            + "\nbuild the marts from this checkout (make demo, or dbt build --target ch "
            "--select tag:marts) and run again"
        )
    return marts


def check_sheets(workbook: Workbook, marts: Sequence[Mart]) -> None:
    """Every column a sheet uses exists in its mart, with a fitting type."""
    by_name = {m.name: m for m in marts}
    problems = []
    for mart_name, columns in workbook.columns_used().items():
        if mart_name not in by_name:
            problems.append(f"sheets {_names(columns)} read {mart_name}, which is not a mart")
            continue
        known = {f.name for f in by_name[mart_name].fields}
        for column, sheets in columns.items():
            if column not in known:
                problems.append(f"{mart_name}.{column} (sheets {', '.join(sheets)}) does not exist")
    for sheet in workbook.sheets:
        if sheet.mart not in by_name:
            continue
        mart = by_name[sheet.mart]
        names = {f.name for f in mart.fields}
        for date in (sheet.date_filter, sheet.axis if sheet.kind == "trend" else None):
            if date and date in names and mart.field(date).datatype not in ("date", "datetime"):
                problems.append(f"{sheet.name}: {mart.name}.{date} is not a date")
        for measure in sheet.all_measures:
            for column in measure.columns:
                if column in names and mart.field(column).is_dimension:
                    problems.append(f"{sheet.name}: {mart.name}.{column} is not a number")
    if problems:
        raise WorkbookError(
            "the dashboards do not fit the marts:\n  "
            + "\n  ".join(problems)
            + "\nupdate socialpulse/tableau/dashboards.py (or the mart)"
        )


def _names(columns: Mapping[str, list[str]]) -> str:
    return ", ".join(sorted({s for sheets in columns.values() for s in sheets}))


# --- XML helpers --------------------------------------------------------------------------
def _el(
    parent: ET.Element | None,
    tag: str,
    attrs: Mapping[str, Any] | None = None,
    text: str | None = None,
) -> ET.Element:
    """A child element; attributes sorted by name like Tableau writes them."""
    items = {k: str(v) for k, v in (attrs or {}).items() if v is not None}
    ordered = dict(sorted(items.items(), key=lambda kv: kv[0].split("}")[-1]))
    element = ET.Element(tag, ordered) if parent is None else ET.SubElement(parent, tag, ordered)
    if text is not None:
        element.text = text
    return element


def _user(name: str) -> str:
    return f"{{{USER_NS}}}{name}"


def simple_id(kind: str, name: str) -> str:
    return "{" + str(uuid.uuid5(_UUID_NAMESPACE, f"{kind}:{name}")).upper() + "}"


def datasource_name(mart: str) -> str:
    return f"federated.{mart}"


def _ref(sheet: Sheet, instance: str) -> str:
    return f"[{datasource_name(sheet.mart)}].{instance}"


def _formatted_text(parent: ET.Element, runs: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
    text = _el(parent, "formatted-text")
    for value, attrs in runs:
        _el(text, "run", attrs, value)


# --- data sources -------------------------------------------------------------------------
def _datasource(parent: ET.Element, mart: Mart, calcs: Sequence[Calc], extracts: str) -> None:
    ds = _el(
        parent,
        "datasource",
        {
            "caption": mart.name,
            "inline": "true",
            "name": datasource_name(mart.name),
            "version": WORKBOOK_VERSION,
        },
    )
    connection = _el(ds, "connection", {"class": "federated"})
    named = _el(
        _el(connection, "named-connections"),
        "named-connection",
        {"caption": mart.name, "name": f"hyper.{mart.name}"},
    )
    _el(
        named,
        "connection",
        {
            "authentication": "auth-none",
            "author-locale": "en_US",
            "class": "hyper",
            "dbname": f"{extracts}/{mart.name}.hyper",
            "default-settings": "yes",
            "schema": HYPER_SCHEMA,
            "sslmode": "",
            "tablename": mart.name,
            "username": "tableau_internal_user",
        },
    )
    _el(
        connection,
        "relation",
        {
            "connection": f"hyper.{mart.name}",
            "name": mart.name,
            "table": f"[{HYPER_SCHEMA}].[{mart.name}]",
            "type": "table",
        },
    )
    records = _el(connection, "metadata-records")
    for ordinal, f in enumerate(mart.fields):
        record = _el(records, "metadata-record", {"class": "column"})
        _el(record, "remote-name", text=f.name)
        _el(record, "remote-type", text=str(f.remote_type))
        _el(record, "local-name", text=f"[{f.name}]")
        _el(record, "parent-name", text=f"[{mart.name}]")
        _el(record, "remote-alias", text=f.name)
        _el(record, "ordinal", text=str(ordinal))
        _el(record, "local-type", text=f.datatype)
        _el(record, "aggregation", text=f.aggregation)
        _el(record, "contains-null", text=str(f.column.nullable).lower())
    _el(ds, "aliases", {"enabled": "yes"})
    for f in mart.fields:
        _column(ds, f)
    for calc in calcs:
        _calc_column(ds, calc)


def _column(parent: ET.Element, f: MartField, *, describe: bool = True) -> None:
    attrs: dict[str, Any] = {
        "caption": f.caption,
        "datatype": f.datatype,
        "name": f"[{f.name}]",
        "role": "dimension" if f.is_dimension else "measure",
        "type": f.field_type,
        "default-format": f.default_format,
        "hidden": "true" if f.name in _TECHNICAL else None,
    }
    if not f.is_dimension:
        attrs["aggregation"] = f.aggregation
    column = _el(parent, "column", attrs)
    if describe and f.description:
        _formatted_text(_el(column, "desc"), [(f.description, {})])


def _calc_column(parent: ET.Element, calc: Calc) -> None:
    column = _el(
        parent,
        "column",
        {
            "caption": calc.caption,
            "datatype": "real",
            "name": f"[{calc.field}]",
            "role": "measure",
            "type": "quantitative",
            "default-format": "p0.00%" if calc.percent else "n#,##0.00",
        },
    )
    _el(column, "calculation", {"class": "tableau", "formula": calc.formula()})


# --- worksheets ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Instance:
    column: str  # field name without brackets
    derivation: str
    name: str
    type: str


def _dimension_instance(f: MartField) -> _Instance:
    suffix = "nk" if f.field_type == "nominal" else "ok"
    return _Instance(f.name, "None", f"[none:{f.name}:{suffix}]", f.field_type)


def _measure_instance(m: Measure) -> _Instance:
    if isinstance(m, Calc):
        return _Instance(m.field, "User", m.instance, "quantitative")
    return _Instance(m.column, m.derivation, m.instance, "quantitative")


def _worksheet(
    parent: ET.Element, sheet: Sheet, mart: Mart, filter_groups: Mapping[Any, int]
) -> None:
    ds_name = datasource_name(mart.name)
    ws = _el(parent, "worksheet", {"name": sheet.name})
    options = _el(ws, "layout-options")
    _formatted_text(_el(options, "caption"), [(sheet.caption, {})])
    table = _el(ws, "table")
    view = _el(table, "view")
    _el(_el(view, "datasources"), "datasource", {"caption": mart.name, "name": ds_name})
    deps = _el(view, "datasource-dependencies", {"datasource": ds_name})

    instances: list[_Instance] = []
    axis = mart.field(sheet.axis) if sheet.axis else None
    if axis is not None and sheet.kind == "trend":
        axis_instance = _Instance(axis.name, "Day-Trunc", f"[tdy:{axis.name}:qk]", "quantitative")
    elif axis is not None:
        axis_instance = _dimension_instance(axis)
    split = _dimension_instance(mart.field(sheet.split)) if sheet.split else None
    date_filter = (
        _Instance(sheet.date_filter, "None", f"[none:{sheet.date_filter}:qk]", "quantitative")
        if sheet.date_filter
        else None
    )
    community = (
        _dimension_instance(mart.field(COMMUNITY_COLUMN)) if sheet.community_filter else None
    )
    measures = [_measure_instance(m) for m in sheet.all_measures]
    for inst in (axis_instance if axis else None, split, date_filter, community, *measures):
        if inst is not None and inst not in instances:
            instances.append(inst)

    fields = [mart.field(c) for c in sheet.columns]
    for f in sorted(fields, key=lambda f: f.name):
        _column(deps, f, describe=False)
    for calc in sorted(
        {m for m in sheet.all_measures if isinstance(m, Calc)}, key=lambda c: c.field
    ):
        _calc_column(deps, calc)
    for inst in sorted(instances, key=lambda i: i.name):
        _el(
            deps,
            "column-instance",
            {
                "column": f"[{inst.column}]",
                "derivation": inst.derivation,
                "name": inst.name,
                "pivot": "key",
                "type": inst.type,
            },
        )

    slices = []
    if date_filter is not None:
        # a context filter: the Top N of a ranking is taken within the chosen days
        _el(
            view,
            "filter",
            {
                "class": "quantitative",
                "column": _ref(sheet, date_filter.name),
                "context": "true",
                "filter-group": filter_groups[(sheet.mart, sheet.date_filter)],
                "included-values": "in-range",
            },
        )
        slices.append(_ref(sheet, date_filter.name))
    if community is not None:
        flt = _el(
            view,
            "filter",
            {
                "class": "categorical",
                "column": _ref(sheet, community.name),
                "filter-group": filter_groups[(sheet.mart, COMMUNITY_COLUMN)],
            },
        )
        _el(
            flt,
            "groupfilter",
            {
                "function": "level-members",
                "level": community.name,
                _user("ui-enumeration"): "all",
                _user("ui-marker"): "enumerate",
            },
        )
        slices.append(_ref(sheet, community.name))
    if sheet.kind == "ranking" and axis is not None:
        rank = _measure_instance(sheet.ranking_measure)
        if sheet.top:
            flt = _el(
                view, "filter", {"class": "categorical", "column": _ref(sheet, axis_instance.name)}
            )
            end = _el(
                flt,
                "groupfilter",
                {
                    "count": sheet.top,
                    "end": "top",
                    "function": "end",
                    "units": "records",
                    _user("ui-marker"): "end",
                    _user("ui-top-by-field"): "true",
                },
            )
            order = _el(
                end,
                "groupfilter",
                {
                    "direction": "DESC",
                    "expression": sheet.ranking_measure.formula(),
                    "function": "order",
                },
            )
            _el(order, "groupfilter", {"function": "level-members", "level": axis_instance.name})
            slices.append(_ref(sheet, axis_instance.name))
        _el(
            view,
            "computed-sort",
            {
                "column": _ref(sheet, axis_instance.name),
                "direction": "DESC",
                "using": _ref(sheet, rank.name),
            },
        )
    if slices:
        slice_el = _el(view, "slices")
        for ref in slices:
            _el(slice_el, "column", text=ref)
    _el(view, "aggregation", {"value": "true"})
    _el(table, "style")
    pane = _el(
        _el(table, "panes"), "pane", {"selection-relaxation-option": "selection-relaxation-allow"}
    )
    _el(_el(pane, "view"), "breakdown", {"value": "auto"})
    _el(pane, "mark", {"class": sheet.mark})

    measure_shelf = " + ".join(_ref(sheet, _measure_instance(m).name) for m in sheet.measures)
    if len(sheet.measures) > 1:
        measure_shelf = f"({measure_shelf})"
    if sheet.kind == "trend":
        assert axis is not None
        rows = f"({_ref(sheet, split.name)} / {measure_shelf})" if split else measure_shelf
        cols = _ref(sheet, axis_instance.name)
    elif sheet.kind == "ranking":
        rows, cols = _ref(sheet, axis_instance.name), measure_shelf
    elif sheet.kind == "distribution":
        rows, cols = measure_shelf, _ref(sheet, axis_instance.name)
    else:
        rows, cols = "", measure_shelf
    _el(table, "rows", text=rows or None)
    _el(table, "cols", text=cols)
    _el(ws, "simple-id", {"uuid": simple_id("worksheet", sheet.name)})


# --- dashboards ---------------------------------------------------------------------------
def _filter_cards(sheets: Sequence[Sheet]) -> list[tuple[Sheet, str, str | None]]:
    """One card per (mart, filtered column): (a sheet carrying it, its instance, card mode)."""
    cards: dict[tuple[str, str], tuple[Sheet, str, str | None]] = {}
    for sheet in sheets:
        if sheet.date_filter:
            key = (sheet.mart, sheet.date_filter)
            cards.setdefault(key, (sheet, f"[none:{sheet.date_filter}:qk]", None))
        if sheet.community_filter:
            key = (sheet.mart, COMMUNITY_COLUMN)
            cards.setdefault(key, (sheet, f"[none:{COMMUNITY_COLUMN}:nk]", "checkdropdown"))
    return list(cards.values())


def _dashboard(parent: ET.Element, dashboard: Dashboard, sheets: Sequence[Sheet]) -> None:
    db = _el(parent, "dashboard", {"name": dashboard.name})
    _el(db, "style")
    _el(
        db,
        "size",
        {
            "maxheight": DASHBOARD_HEIGHT,
            "maxwidth": DASHBOARD_WIDTH,
            "minheight": DASHBOARD_HEIGHT,
            "minwidth": DASHBOARD_WIDTH,
        },
    )
    zones = _el(db, "zones")
    ids = iter(range(1, 1000))
    root = _el(
        zones,
        "zone",
        {"h": _FULL, "id": next(ids), "type-v2": "layout-basic", "w": _FULL, "x": 0, "y": 0},
    )
    title = _el(
        root,
        "zone",
        {"h": _TITLE_H, "id": next(ids), "type-v2": "text", "w": _FULL, "x": 0, "y": 0},
    )
    _formatted_text(
        title,
        [
            (dashboard.name, {"bold": "true", "fontsize": "18"}),
            (f"   {dashboard.subtitle} (UTC days)", {"fontsize": "10"}),
        ],
    )
    y = _TITLE_H
    cards = _filter_cards(sheets)
    if cards:
        width = min(_FULL // len(cards), 25_000)
        for i, (sheet, instance, mode) in enumerate(cards):
            _el(
                root,
                "zone",
                {
                    "h": _FILTER_H,
                    "id": next(ids),
                    "mode": mode,
                    "name": sheet.name,
                    "param": _ref(sheet, instance),
                    "type-v2": "filter",
                    "values": "relevant" if mode else None,
                    "w": width,
                    "x": i * width,
                    "y": y,
                },
            )
        y += _FILTER_H
    per_row = dashboard.columns
    rows = math.ceil(len(sheets) / per_row)
    height = (_FULL - y) // rows
    for i, sheet in enumerate(sheets):
        row, col = divmod(i, per_row)
        in_row = min(per_row, len(sheets) - row * per_row)  # a short last row spans the width
        width = _FULL // in_row
        _el(
            root,
            "zone",
            {
                "h": height if row < rows - 1 else _FULL - y - height * row,
                "id": next(ids),
                "name": sheet.name,
                "show-title": "true",
                "w": width if col < in_row - 1 else _FULL - width * col,
                "x": col * width,
                "y": y + row * height,
            },
        )
    _el(db, "simple-id", {"uuid": simple_id("dashboard", dashboard.name)})


def _windows(parent: ET.Element, workbook: Workbook) -> None:
    windows = _el(parent, "windows", {"source-height": 30})
    for i, dashboard in enumerate(workbook.dashboards):
        window = _el(
            windows,
            "window",
            {"class": "dashboard", "maximized": "true" if i == 0 else None, "name": dashboard.name},
        )
        viewpoints = _el(window, "viewpoints")
        for name in dashboard.sheets:
            _el(viewpoints, "viewpoint", {"name": name})
        _el(window, "active", {"id": -1})
        _el(window, "simple-id", {"uuid": simple_id("window", dashboard.name)})
    for sheet in workbook.sheets:
        # sheets live on the dashboards: hidden from the tab strip, shown with "Unhide"
        window = _el(
            windows, "window", {"class": "worksheet", "hidden": "true", "name": sheet.name}
        )
        cards = _el(window, "cards")
        left = _el(_el(cards, "edge", {"name": "left"}), "strip", {"size": 160})
        for card in ("pages", "filters", "marks"):
            _el(left, "card", {"type": card})
        top = _el(cards, "edge", {"name": "top"})
        for card, size in (("columns", 2147483647), ("rows", 2147483647), ("title", 31)):
            _el(_el(top, "strip", {"size": size}), "card", {"type": card})
        _el(window, "simple-id", {"uuid": simple_id("window", sheet.name)})


# --- the workbook -------------------------------------------------------------------------
def build(
    marts: Sequence[Mart], workbook: Workbook = WORKBOOK, extracts: str = EXTRACTS_FROM_DOCS
) -> str:
    """The workbook XML: one data source per mart, the sheets, the dashboards, the windows."""
    check_sheets(workbook, marts)
    by_name = {m.name: m for m in marts}
    ET.register_namespace("user", USER_NS)
    root = _el(
        None,
        "workbook",
        {
            "original-version": WORKBOOK_VERSION,
            "source-build": SOURCE_BUILD,
            "source-platform": "win",
            "version": WORKBOOK_VERSION,
        },
    )
    _el(root, "preferences")
    datasources = _el(root, "datasources")
    for mart in marts:
        _datasource(datasources, mart, workbook.calcs(mart.name), extracts)
    filter_groups: dict[tuple[str, str], int] = {}
    for sheet in workbook.sheets:
        for column in (sheet.date_filter, COMMUNITY_COLUMN if sheet.community_filter else None):
            if column:
                filter_groups.setdefault((sheet.mart, column), len(filter_groups) + 2)
    worksheets = _el(root, "worksheets")
    for sheet in workbook.sheets:
        _worksheet(worksheets, sheet, by_name[sheet.mart], filter_groups)
    dashboards = _el(root, "dashboards")
    for dashboard in workbook.dashboards:
        _dashboard(dashboards, dashboard, [workbook.sheet(n) for n in dashboard.sheets])
    _windows(root, workbook)
    explain = _el(
        root,
        "explain-data",
        {"enabled-for-viewer": "true", "extreme-values-enabled-for-all": "true"},
    )
    _el(explain, "explanation-types")
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f"<?xml version='1.0' encoding='utf-8' ?>\n{_HEADER}{body}\n"


_HEADER = """<!--
  SocialPulse dashboards over the ClickHouse marts. GENERATED by socialpulse/tableau/workbook.py
  from dbt_project/models/marts/_marts.yml, the marts' ClickHouse column types and
  socialpulse/tableau/dashboards.py: do not edit by hand (see docs/tableau.md).
  Each data source opens ../../extracts/<mart>.hyper (make extracts); times are UTC.
-->
"""


def generate(
    client: Any,
    *,
    database: str = MARTS_DATABASE,
    extracts: str = EXTRACTS_FROM_DOCS,
    yaml_path: Path = MARTS_YAML,
) -> str:
    """The workbook for the marts built in ``database`` (``client``: clickhouse-connect)."""
    return build(load_marts(clickhouse_types(client, database), yaml_path), extracts=extracts)


def package_twbx(twb: str, hyper_files: Iterable[Path], out: Path) -> Path:
    """Write ``out`` (.twbx): ``SocialPulse.twb`` plus ``Data/Extracts/<mart>.hyper``.

    ``twb`` must point its data sources at ``Data/Extracts`` (``extracts=PACKAGED_EXTRACTS``).
    Written under a temporary name and renamed, so a failed run keeps the previous file.
    """
    part = out.with_name(f".{out.name}.part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(WORKBOOK_PATH.name, twb)
        for path in sorted(hyper_files):
            zf.write(path, f"{PACKAGED_EXTRACTS}/{path.name}")
    part.replace(out)
    return out


def write_twbx(client: Any, extracts_dir: Path, out: Path, database: str = MARTS_DATABASE) -> Path:
    """The packaged workbook: generated with its data sources on ``Data/Extracts``, zipped
    with every mart's ``.hyper`` from ``extracts_dir`` (``make extracts`` wrote them)."""
    marts = load_marts(clickhouse_types(client, database))
    hyper_files = [extracts_dir / f"{m.name}.hyper" for m in marts]
    missing = [p.name for p in hyper_files if not p.exists()]
    if missing:
        raise WorkbookError(
            f"no extract {', '.join(missing)} in {extracts_dir}: run `make extracts` first"
        )
    return package_twbx(build(marts, extracts=PACKAGED_EXTRACTS), hyper_files, out)


def _check(path: Path, text: str) -> int:
    current = path.read_text() if path.exists() else ""
    if current == text:
        print(f"{path} is up to date")
        return 0
    diff = difflib.unified_diff(
        current.splitlines(), text.splitlines(), str(path), "generated", lineterm="", n=1
    )
    print("\n".join(list(diff)[:60]))
    print(
        f"{path} is stale: run `python -m socialpulse.tableau.workbook` and commit it",
        file=sys.stderr,
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WORKBOOK_PATH, help="the .twb to write")
    parser.add_argument("--database", default=MARTS_DATABASE, help="ClickHouse marts database")
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with --out instead of writing it (exit 1 if different)",
    )
    parser.add_argument(
        "--xsd",
        type=Path,
        action="append",
        default=[],
        help="validate --out against this Tableau schema (repeatable)",
    )
    parser.add_argument("--twbx", type=Path, help="write this packaged workbook (.twbx) instead")
    parser.add_argument(
        "--extracts", type=Path, default=REPO_ROOT / "extracts", help=".hyper files for --twbx"
    )
    args = parser.parse_args(argv)
    if args.xsd:
        failed = False
        for xsd in args.xsd:
            report = schema_check.validate(args.out, xsd)
            if report.repaired:
                print(f"{xsd.name} is not well-formed XML; dropped its stray lines:")
                print("\n".join(f"  | {line}" for line in report.repaired))
            print(f"{xsd.name}: {'valid' if not report.errors else f'{len(report.errors)} errors'}")
            for error in report.errors:
                print(f"  {error}")
            failed |= bool(report.errors)
        return 1 if failed else 0

    from socialpulse.settings import get_settings
    from socialpulse.tableau.extracts import connect

    try:
        client = connect(get_settings())
        try:
            if args.twbx:
                path = write_twbx(client, args.extracts, args.twbx, args.database)
                print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB): open it in Tableau")
                return 0
            text = generate(client, database=args.database)
        finally:
            client.close()
    except WorkbookError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    if args.check:
        return _check(args.out, text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    sheets, dashboards = len(WORKBOOK.sheets), len(WORKBOOK.dashboards)
    print(f"wrote {args.out} ({sheets} sheets, {dashboards} dashboards)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
