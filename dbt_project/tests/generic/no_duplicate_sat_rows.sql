{#- A satellite never holds the same state twice for the same key and effective time:
    no two rows share (key, hashdiff, effective_from). Returns the offending groups. -#}
{% test no_duplicate_sat_rows(model, src_pk) %}
{%- set delta = delta_predicate(model) %}

with

counted as (
    select
        {{ src_pk }},
        hashdiff,
        effective_from,
        count(*) as n_rows
    from {{ model }}
    {%- if delta %}
    -- the keys with new rows, each against all its rows ((key, effective_from) index)
    where {{ src_pk }} in (select {{ src_pk }} from {{ model }} where {{ delta }})
    {%- endif %}
    group by {{ src_pk }}, hashdiff, effective_from
),

final as (
    select * from counted
    where n_rows > 1
)

select * from final

{% endtest %}
