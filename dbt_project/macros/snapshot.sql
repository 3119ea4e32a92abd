{#-
    One consistent snapshot of raw per dbt invocation.

    vars, or (Airflow) the environment variables SOCIALPULSE_LOAD_TS_TO / _FROM, which unlike
    vars leave dbt's partial parse valid from one run to the next (snapshot_bound below)
    (docs/data_vault.md, "Snapshot bounds"):
      load_ts_to    inclusive upper bound of raw load time (ISO timestamptz); every staging
                    model reads loaded_at <= it, and it is the "now" of every model and test
                    (nothing reads the wall clock).
      load_ts_from  exclusive lower bound: the bound of the last completed run (null: none);
                    the generic tests check only rows loaded after it.

    On the Postgres target the on-run-start hook (which also creates staging.vault_watermarks,
    the bound each raw vault table last processed) records the invocation's bound in
    staging.load_bounds: the var when given, else raw.load_snapshot_bound() (taken once,
    committed at once so the events write lock it takes is released). On the ClickHouse
    target without the var, the bound is the newest one a Postgres run recorded (read
    through the staging mirror): the marts then describe exactly the vault's snapshot.
-#}

{#- A bound of the invocation's snapshot: the var when given, else its environment variable
    (empty: none). Read only when executing: an env var read while parsing would make dbt
    re-parse the models that read it whenever its value changes. -#}
{% macro snapshot_bound(name) -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set value = var(name, none) or env_var('SOCIALPULSE_' ~ (name | upper), '') -%}
    {{- return(value if value else none) -}}
{%- endmacro %}


{% macro record_load_bound() -%}
    {%- if execute and target.type == 'postgres' -%}
        {%- set bound = snapshot_bound('load_ts_to') -%}
        {%- set statements -%}
            create schema if not exists staging;
            create table if not exists staging.load_bounds (
                invocation_id text primary key,
                load_ts_to timestamptz not null,
                recorded_at timestamptz not null default clock_timestamp()
            );
            create table if not exists staging.vault_watermarks (
                model text primary key,
                loaded_until timestamptz not null
            );
            insert into staging.load_bounds (invocation_id, load_ts_to)
            values (
                '{{ invocation_id }}',
                {% if bound %}cast('{{ bound }}' as timestamptz){% else %}raw.load_snapshot_bound(){% endif %}
            )
            on conflict (invocation_id) do nothing;
            -- a few recent bounds are enough (the ClickHouse target reads the newest)
            delete from staging.load_bounds
            where load_ts_to < (select max(load_ts_to) from staging.load_bounds) - interval '1 day';
        {%- endset -%}
        {%- do run_query(statements) -%}
        {%- do run_query('commit') -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- The invocation's upper bound as a UTC string 'YYYY-MM-DD HH:MI:SS.ffffff'. -#}
{% macro load_ts_to() -%}
    {%- if not execute -%}
        {{- return('2999-12-31 00:00:00.000000') -}}
    {%- endif -%}
    {%- set bound = snapshot_bound('load_ts_to') -%}
    {%- if bound and target.type == 'clickhouse' -%}
        {%- set query = "select formatDateTime(parseDateTime64BestEffort('" ~ bound ~ "', 6, 'UTC'), '%Y-%m-%d %H:%i:%S.%f', 'UTC')" -%}
    {%- elif bound -%}
        {%- set query = "select to_char(cast('" ~ bound ~ "' as timestamptz) at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')" -%}
    {%- elif target.type == 'clickhouse' -%}
        {%- set query = "select formatDateTime(max(load_ts_to), '%Y-%m-%d %H:%i:%S.%f', 'UTC') from " ~ generate_schema_name('staging', none) ~ ".load_bounds" -%}
    {%- else -%}
        {%- set query = "select to_char(load_ts_to at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') from staging.load_bounds where invocation_id = '" ~ invocation_id ~ "'" -%}
    {%- endif -%}
    {%- set rows = run_query(query).rows -%}
    {%- if rows | length == 0 or rows[0][0] is none or rows[0][0] == '' -%}
        {{ exceptions.raise_compiler_error("no load_ts_to: pass --vars '{load_ts_to: ...}' or build the vault (target pg) first") }}
    {%- endif -%}
    {{- return(rows[0][0]) -}}
{%- endmacro %}


{#- The exclusive lower bound (same format), none when the var is null. -#}
{% macro load_ts_from() -%}
    {%- set bound = snapshot_bound('load_ts_from') -%}
    {%- if not bound or not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if target.type == 'clickhouse' -%}
        {%- set query = "select formatDateTime(parseDateTime64BestEffort('" ~ bound ~ "', 6, 'UTC'), '%Y-%m-%d %H:%i:%S.%f', 'UTC')" -%}
    {%- else -%}
        {%- set query = "select to_char(cast('" ~ bound ~ "' as timestamptz) at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')" -%}
    {%- endif -%}
    {{- return(run_query(query).rows[0][0]) -}}
{%- endmacro %}


{#- A bound as a timestamp literal of the target's dialect. -#}
{% macro load_ts_literal(bound) -%}
    {%- if target.type == 'clickhouse' -%}
        toDateTime64('{{ bound }}', 6, 'UTC')
    {%- else -%}
        cast('{{ bound }}+00' as timestamptz)
    {%- endif -%}
{%- endmacro %}


{#- `<column> <= load_ts_to`: the snapshot filter of every staging model. -#}
{% macro loaded_until(column) -%}
    {{ column }} <= {{ load_ts_literal(load_ts_to()) }}
{%- endmacro %}


{#- "Now" of the marts: the snapshot bound (a timestamp) and its UTC day. -#}
{% macro snapshot_ts() -%}
    {{ load_ts_literal(load_ts_to()) }}
{%- endmacro %}

{% macro snapshot_date() -%}
    toDate('{{ load_ts_to()[:10] }}')
{%- endmacro %}
