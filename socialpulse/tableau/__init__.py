"""Tableau delivery: ``.hyper`` + CSV extracts of the ClickHouse marts, and preview images.

- :mod:`socialpulse.tableau.extracts` -- ``make extracts``: every mart as ``<mart>.hyper``
  (Tableau Desktop) and ``<mart>.csv`` (Tableau Public), read as the read-only analyst.
- :mod:`socialpulse.tableau.previews` -- the dashboard's four charts as PNGs (matplotlib),
  from the CSV extracts, for readers without Tableau.

The workbook itself is ``docs/tableau/SocialPulse.twb``; ``docs/tableau.md`` tells the story.
"""
