"""Ingestion: minute files in MinIO -> validated, de-duplicated rows in PostgreSQL ``raw``.

The public surface is small:

* :func:`socialpulse.ingestion.migrate.migrate` creates/updates the ``raw`` schema;
* :func:`socialpulse.ingestion.discover.discover` lists the object versions not loaded yet;
* :mod:`socialpulse.ingestion.stages` reads, validates and cleans them into run-scoped
  artefacts in MinIO (:mod:`socialpulse.ingestion.work`), one Airflow task per stage;
* :func:`socialpulse.ingestion.pipeline.load_objects` loads them, one transaction per file
  (:func:`~socialpulse.ingestion.pipeline.process_objects` runs every stage in one call);
* :func:`socialpulse.ingestion.quarantine.readmit` loads rejected lines whose users have
  registered since (late files).

The Airflow DAG ``ingest_events`` only wires these together; see ``docs/ingestion.md``.
"""
