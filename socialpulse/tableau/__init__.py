"""Tableau delivery for the analysts (docs/tableau.md tells the story).

- :mod:`socialpulse.tableau.dashboards` -- what every sheet and dashboard shows: mart,
  columns, measure, filters (one declaration for the workbook, the previews and the tests).
- :mod:`socialpulse.tableau.workbook` -- generates ``docs/tableau/SocialPulse.twb`` from the
  marts' YAML, their ClickHouse types and the dashboards; packages ``SocialPulse.twbx``.
- :mod:`socialpulse.tableau.extracts` -- ``make extracts``: every mart as ``<mart>.hyper``
  and ``<mart>.csv``, read as the read-only analyst.
- :mod:`socialpulse.tableau.previews` -- the dashboards as PNGs, from the CSV extracts.
- :mod:`socialpulse.tableau.walkthrough` -- ``make walkthrough``: the captioned video of the
  running system.
"""
