{#- A satellite never holds the same state twice for the same key and effective time:
    no two rows share (key, hashdiff, effective_from). Returns the offending groups. -#}
{% test no_duplicate_sat_rows(model, src_pk) %}

with

counted as (
    select
        {{ src_pk }},
        hashdiff,
        effective_from,
        count(*) as n_rows
    from {{ model }}
    group by {{ src_pk }}, hashdiff, effective_from
),

final as (
    select * from counted
    where n_rows > 1
)

select * from final

{% endtest %}
