{#-
    pit: point-in-time table. For every key of source_model (a hub) and every as-of date,
    the effective_from of the row of each satellite in force at the end of that day
    (null: none yet), so marts join each satellite on (key, effective_from) by equality.

    satellites     {"sat_user_profile": {"pk": "user_hk", "ldts": "effective_from"}, ...}
    as_of_dates_table  a model with one column as_of_date
-#}
{% macro pit(src_pk, as_of_dates_table, satellites, source_model) -%}
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

spine as (
    select
        hub.{{ src_pk }},
        as_of.as_of_date
    from hub
    cross join as_of
),

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
        ) as {{ sat_name }}_effective_from{% if not loop.last %},{% endif %}
        {%- endfor %}
    from spine
)

select * from final
{%- endmacro %}
