{#-
    landing_replica: an exact, insert-only ClickHouse copy of an append-only vault table
    (ClickHouse target only). Each run appends the vault rows with
    load_ts > max(load_ts) of the replica and <= the snapshot bound, read through the
    PostgreSQL-engine mirror: the literal bounds are pushed down to Postgres, where the vault
    table's load_ts index finds the delta, so only new rows cross. Exact because every vault
    table is insert-only and each of its loads holds only rows above everything it already
    holds (one snapshot bound per run, no lookback).

    model        the vault table
    order_by     sorting key, chosen for the marts' reads (by day, then key; or by the key
                 the marts join on); its columns are Nullable as the mirror types them
                 (never null in the vault), hence allow_nullable_key
    partition_by by month of the event (effective_from); a look-up without an event time
                 goes through landing_lookup_replica instead
-#}
{% macro landing_replica(model, order_by, partition_by='toYYYYMM(assumeNotNull(effective_from))') -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    order_by=order_by,
    partition_by=partition_by,
    settings={'allow_nullable_key': 1},
) }}
{%- set watermark = landing_watermark() %}

with

source as (
    select * from {{ ref(model) }}
    where
        {{ loaded_until('load_ts') }}
        {%- if watermark %}
        and load_ts > {{ load_ts_literal(watermark) }}
        {%- endif %}
),

final as (
    select * from source
)

select * from final
{%- endmacro %}


{#- The newest load_ts of this replica (none on a full build or when empty). -#}
{% macro landing_watermark() -%}
    {%- if execute and is_incremental() -%}
        {%- set rows = run_query("select formatDateTime(max(load_ts), '%Y-%m-%d %H:%i:%S.%f', 'UTC'), count() from " ~ this).rows -%}
        {%- if rows[0][1] > 0 -%}
            {{- return(rows[0][0]) -}}
        {%- endif -%}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}


{#- A look-up without an event time (one row per pair, e.g. a post's author): sorted by the
    key the marts join on, partitioned by the month of its load_ts. -#}
{% macro landing_lookup_replica(model, key) -%}
{{ landing_replica(model, order_by=key, partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
{%- endmacro %}
