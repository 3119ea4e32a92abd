"""The workbook schema check (``--xsd``): real lxml validation, with the published schemas'
quirks (location-less imports, a stray fragment that makes a file ill-formed) handled."""

from __future__ import annotations

from pathlib import Path

from socialpulse.tableau.schema_check import drop_stray_lines, validate

# The shape of Tableau's published schemas: location-less imports, top-level declarations at
# two spaces, a stray fragment (two attributes and an end tag) after a complete type.
SCHEMA = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:user="http://www.tableausoftware.com/xml/user" elementFormDefault="qualified">
<xs:import namespace="http://www.tableausoftware.com/xml/user"/>
  <xs:import namespace="http://www.w3.org/XML/1998/namespace"/>
  <xs:complexType name="Window-CT">
    <xs:sequence>
      <xs:element name="cards"/>
    </xs:sequence>
    <xs:attribute name="class" type="xs:string" use="required"/>
    <xs:attributeGroup ref="user:UserAttributes-AG"/>
  </xs:complexType>
{stray}  <xs:element name="windows">
    <xs:complexType>
      <xs:sequence>
        <xs:element maxOccurs="unbounded" name="window" type="Window-CT"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""
STRAY = """    <xs:attribute name="range" type="xs:int" use="required"/>
  </xs:complexType>
"""
VALID = "<windows><window class='worksheet'><cards/></window></windows>"
NO_CARDS = "<windows><window class='worksheet'/></windows>"


def _files(tmp_path: Path, stray: str, workbook: str) -> tuple[Path, Path]:
    xsd, twb = tmp_path / "twb.xsd", tmp_path / "wb.twb"
    xsd.write_text(SCHEMA.format(stray=stray))
    twb.write_text(workbook)
    return twb, xsd


def test_a_workbook_the_schema_accepts_has_no_errors(tmp_path: Path) -> None:
    report = validate(*_files(tmp_path, "", VALID))
    assert report.errors == []
    assert report.repaired == []


def test_a_missing_required_child_is_an_error(tmp_path: Path) -> None:
    report = validate(*_files(tmp_path, "", NO_CARDS))
    assert len(report.errors) == 1
    assert "cards" in report.errors[0]


def test_an_ill_formed_schema_loses_only_its_stray_lines(tmp_path: Path) -> None:
    text, dropped = drop_stray_lines(SCHEMA.format(stray=STRAY))
    assert dropped == STRAY.rstrip("\n").splitlines()
    assert text == SCHEMA.format(stray="")
    # ... and still finds what is wrong with a workbook
    report = validate(*_files(tmp_path, STRAY, NO_CARDS))
    assert report.repaired == dropped
    assert len(report.errors) == 1


def test_a_well_formed_schema_is_left_as_it_is() -> None:
    text = SCHEMA.format(stray="")
    assert drop_stray_lines(text) == (text, [])
