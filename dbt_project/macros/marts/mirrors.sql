{#-
    ClickHouse target: one database per warehouse schema the marts read, with the
    PostgreSQL engine, named like the schema (plus var ch_database_prefix). ref('hub_user')
    compiled for ClickHouse is raw_vault.hub_user: a real relation, so lineage stays
    unbroken and ClickHouse reads Postgres itself (no Python copies rows).

    The connection is the server's named collection socialpulse_pg (host, port, user,
    password: infra/clickhouse/config.xml natively, infra/clickhouse/config.d in compose),
    so no credential appears in DDL, logs or Airflow; only the database is overridden.
    The schema list is also socialpulse.transform.marts.MIRRORED_SCHEMAS (scratch clean-up).
-#}
{% macro create_vault_mirrors() -%}
    {%- if execute and target.type == 'clickhouse' -%}
        {%- set pg_database = var("vault_pg_database") -%}
        {%- for schema in ['staging', 'raw_vault', 'business_vault', 'graph'] -%}
            {%- set mirror = generate_schema_name(schema, none) -%}
            {%- set engine -%}
                PostgreSQL(socialpulse_pg, database = '{{ pg_database }}', schema = '{{ schema }}')
            {%- endset -%}
            {#- a mirror of another warehouse database (var changed) is replaced, not reused -#}
            {%- set existing = run_query("select engine_full from system.databases where name = '" ~ mirror ~ "'") -%}
            {%- if existing.rows | length > 0 and ("database = '" ~ pg_database ~ "'") not in existing.rows[0][0] -%}
                {%- do run_query("drop database " ~ mirror ~ " sync") -%}
            {%- endif -%}
            {%- do run_query("create database if not exists " ~ mirror ~ " engine = " ~ engine) -%}
        {%- endfor -%}
    {%- endif -%}
    {#- the hook itself: the databases are created above, one statement each -#}
    select 1
{%- endmacro %}


{#-
    Incremental marts: the first day to recompute. The mart's watermark is the snapshot bound
    of its last run (max vault_load_ts); the vault rows loaded after it and up to this run's
    bound are found through the PostgreSQL mirror, where the literal bounds are pushed down
    to the tables' load_ts indexes (only the delta crosses). Every day they touch is rebuilt
    in full (delete+insert by day), and rolling windows reach back lookback_days more. None
    on a full build (no filter); a far-future day when nothing is new (nothing to rebuild).
    reopen_last_day: also the day of the last run's bound and after, for a mart whose open
    periods (a membership not yet ended) count up to the bound's day even when nothing new
    touches them.
-#}
{% macro mart_recompute_from(models, lookback_days=0, ts_column='effective_from', reopen_last_day=false) -%}
    {#- refs outside the condition: dbt sees the dependencies at parse time -#}
    {%- for model in models -%}
        {%- do ref(model) -%}
    {%- endfor -%}
    {%- set watermark = mart_watermark() -%}
    {%- if watermark is not none -%}
        {%- set query -%}
            select toString(least(
                coalesce(min(day), toDate('2999-12-31')) - {{ lookback_days }}
                {%- if reopen_last_day %},
                toDate({{ load_ts_literal(watermark) }}){% endif %}
            ))
            from (
            {%- for model in models %}
                select minOrNull(toDate({{ ts_column }})) as day
                from {{ ref(model) }}
                where
                    load_ts > {{ load_ts_literal(watermark) }}
                    and {{ loaded_until('load_ts') }}
                {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
            )
        {%- endset -%}
        {{- return(run_query(query).columns[0].values()[0]) -}}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}


{#- An incremental mart's watermark: max(vault_load_ts), the snapshot bound of its last run
    (none on a full build). -#}
{% macro mart_watermark() -%}
    {%- if execute and is_incremental() -%}
        {{- return(run_query("select formatDateTime(max(vault_load_ts), '%Y-%m-%d %H:%i:%S.%f', 'UTC') from " ~ this).rows[0][0]) -}}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}


{#- The first day of a recomputed window for a row whose days start at day_column: that day,
    or recompute_from when it is later. -#}
{% macro recompute_window_start(day_column, recompute_from) -%}
    {%- if recompute_from is none -%}
        {{ day_column }}
    {%- else -%}
        greatest({{ day_column }}, toDate('{{ recompute_from }}'))
    {%- endif -%}
{%- endmacro %}


{#- `where <column> >= '<day>'` when recompute_from is set (on a landing table: its sorting
    key starts with the day, so only the window is read). -#}
{% macro mart_window_filter(recompute_from, column='effective_from') -%}
    {%- if recompute_from is not none %}
    where {{ column }} >= toDateTime64('{{ recompute_from }}', 6, 'UTC')
    {%- endif -%}
{%- endmacro %}
