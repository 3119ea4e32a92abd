"""Validate a workbook against Tableau's published workbook schemas (``--xsd`` of the workbook CLI).

The schemas (tableau/tableau-document-schemas, ``schemas/<version>/twb_<version>.xsd``) are not
part of this repository. Two quirks of the published files are handled here:

* they import Tableau's ``user`` namespace and the XML namespace without a location: both
  get a permissive stand-in, as Tableau's own validator does;
* some are not well-formed XML (``twb_2023.1.0.xsd`` has a stray fragment of a type, two
  attribute lines and an end tag, right after ``DataConnection-MaterializedCalc-CT``): lines
  that stand between two top-level declarations and open none are dropped, and reported.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

XS = "http://www.w3.org/2001/XMLSchema"
USER_NS = "http://www.tableausoftware.com/xml/user"
XML_NS = "http://www.w3.org/XML/1998/namespace"

#: Permissive stand-ins for the namespaces the schemas import without a location.
STAND_INS = {
    USER_NS: f'<xs:schema xmlns:xs="{XS}" targetNamespace="{USER_NS}">'
    '<xs:attributeGroup name="UserAttributes-AG">'
    '<xs:anyAttribute namespace="##any" processContents="skip"/>'
    "</xs:attributeGroup></xs:schema>",
    XML_NS: f'<xs:schema xmlns:xs="{XS}" targetNamespace="{XML_NS}">'
    '<xs:attribute name="base" type="xs:anyURI"/><xs:attribute name="lang" type="xs:string"/>'
    '<xs:attribute name="space" type="xs:NCName"/><xs:attribute name="id" type="xs:ID"/>'
    "</xs:schema>",
}

# Top-level declarations of the published schemas sit at two spaces of indentation.
_TOP_OPEN = re.compile(r"^  <xs:(\w+)\b[^>]*(?<!/)>\s*$")
_TOP_EMPTY = re.compile(r"^ {0,2}<xs:\w+\b[^>]*/>\s*$")


@dataclass
class SchemaReport:
    """What checking one workbook against one schema found."""

    errors: list[str] = field(default_factory=list)
    #: Lines dropped from a schema that is not well-formed XML (empty when it was).
    repaired: list[str] = field(default_factory=list)


def drop_stray_lines(text: str) -> tuple[str, list[str]]:
    """The schema without lines that stand between two top-level declarations and open
    none (a fragment whose opening tag is missing), and those lines."""
    kept: list[str] = []
    dropped: list[str] = []
    in_schema = False
    closing: str | None = None
    for line in text.splitlines(keepends=True):
        if not in_schema:
            in_schema = line.lstrip().startswith("<xs:schema")
            kept.append(line)
        elif closing is not None:
            kept.append(line)
            if line.rstrip() == closing:
                closing = None
        elif match := _TOP_OPEN.match(line):
            closing = f"  </xs:{match.group(1)}>"
            kept.append(line)
        elif (
            _TOP_EMPTY.match(line)
            or not line.strip()
            or line.startswith("</xs:schema")
            or line.lstrip().startswith("<!--")
        ):
            kept.append(line)
        else:
            dropped.append(line.rstrip("\n"))
    return "".join(kept), dropped


def validate(twb: Path, xsd: Path) -> SchemaReport:
    """Errors of ``twb`` against the Tableau workbook schema ``xsd`` (lxml)."""
    from lxml import etree

    report = SchemaReport()
    try:
        schema_doc = etree.parse(str(xsd))
    except etree.XMLSyntaxError:
        text, report.repaired = drop_stray_lines(xsd.read_text(encoding="utf-8"))
        schema_doc = etree.ElementTree(etree.fromstring(text.encode("utf-8")))
    with tempfile.TemporaryDirectory() as tmp:
        for index, imp in enumerate(schema_doc.getroot().findall(f"{{{XS}}}import")):
            stand_in = STAND_INS.get(imp.get("namespace", ""))
            if stand_in is not None:
                path = Path(tmp) / f"import-{index}.xsd"
                path.write_text(stand_in)
                imp.set("schemaLocation", path.as_uri())
        schema = etree.XMLSchema(schema_doc)
    schema.validate(etree.parse(str(twb)))
    report.errors = [f"line {e.line}: {e.message}" for e in schema.error_log]
    return report
