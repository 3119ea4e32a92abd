{#-
    pit: point-in-time table. For every key of source_model (a hub) and every as-of date,
    the effective_from of the row of each satellite in force at the end of that day
    (null: none yet), so marts join each satellite on (key, effective_from) by equality.

    Incremental (delete+insert on key and day): a run recomputes, for every key with
    satellite rows (or a hub row) loaded since the table's watermark, the days from the
    earliest day those rows change, plus every key on the days the spine gained. load_ts
    is the snapshot bound of the run that computed the row (the watermark). Each value is
    one index lookup on the satellite's (key, effective_from, load_ts) index.

    satellites     {"sat_user_profile": {"pk": "user_hk", "ldts": "effective_from"}, ...}
    as_of_dates_table  a model with one column as_of_date
-#}
{% macro pit(src_pk, as_of_dates_table, satellites, source_model) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=[src_pk, 'as_of_date'],
    indexes=[{'columns': [src_pk, 'as_of_date'], 'unique': true}, {'columns': ['load_ts']}],
) }}
with

hub as (
    select
        {{ src_pk }},
        load_ts
    from {{ ref(source_model) }}
),

as_of as (
    select as_of_date from {{ ref(as_of_dates_table) }}
),
{%- if is_incremental() %}

watermark as (
    select
        coalesce(max(load_ts), cast('-infinity' as timestamptz)) as loaded_until,
        coalesce(max(as_of_date), cast('-infinity' as date)) as last_day
    from {{ this }}
),

-- keys with rows loaded since the last run, and the first day those rows change
touched as (
    select
        {{ src_pk }},
        min(first_day) as first_day
    from (
        select
            {{ src_pk }},
            cast('-infinity' as date) as first_day
        from hub
        where load_ts > (select loaded_until from watermark)
        {%- for sat_name, spec in satellites.items() %}
        union all
        select
            sat.{{ spec.get("pk", src_pk) }} as {{ src_pk }},
            cast(min(sat.{{ spec.get("ldts", "effective_from") }}) as date) as first_day
        from {{ ref(sat_name) }} as sat
        where sat.load_ts > (select loaded_until from watermark)
        group by sat.{{ spec.get("pk", src_pk) }}
        {%- endfor %}
    ) as changes
    group by {{ src_pk }}
),

spine as (
    select
        touched.{{ src_pk }},
        as_of.as_of_date
    from touched
    inner join as_of on touched.first_day <= as_of.as_of_date
    union
    select
        hub.{{ src_pk }},
        as_of.as_of_date
    from hub
    cross join as_of
    where as_of.as_of_date > (select last_day from watermark)
),
{%- else %}

spine as (
    select
        hub.{{ src_pk }},
        as_of.as_of_date
    from hub
    cross join as_of
),
{%- endif %}

final as (
    select
        spine.{{ src_pk }},
        spine.as_of_date,
        {%- for sat_name, spec in satellites.items() %}
        (
            select max(sat.{{ spec.get("ldts", "effective_from") }})
            from {{ ref(sat_name) }} as sat
            where
                sat.{{ spec.get("pk", src_pk) }} = spine.{{ src_pk }}
                and sat.{{ spec.get("ldts", "effective_from") }} < spine.as_of_date + 1
        ) as {{ sat_name }}_effective_from,
        {%- endfor %}
        {{ load_ts_literal(load_ts_to()) }} as load_ts
    from spine
)

select * from final
{%- endmacro %}
