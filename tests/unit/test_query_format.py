from __future__ import annotations

import csv
import io

from socialpulse.query import format_csv, format_table


def test_table_aligns_numbers_right_and_text_left() -> None:
    out = format_table(["name", "n"], [("a", 1), ("longer", 123)]).splitlines()
    assert out[0] == "name   |   n"
    assert out[2] == "a      |   1"
    assert out[3] == "longer | 123"
    assert out[-1] == "(2 rows)"


def test_table_shows_null_and_counts_one_row() -> None:
    out = format_table(["x"], [(None,)]).splitlines()
    assert out[2] == "NULL"
    assert out[-1] == "(1 row)"


def test_csv_has_header_and_quotes_commas() -> None:
    text = format_csv(["a", "b"], [(1, "x,y"), (None, "z")])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["1", "x,y"], ["", "z"]]
