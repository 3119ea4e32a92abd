{#- No two rows share the given combination of columns (dbt_utils' test, written here
    because hub packages cannot be installed offline). -#}
{% test unique_combination(model, columns) %}
{%- set delta = delta_predicate(model) %}

with

counted as (
    select
        {{ columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    {%- if delta %}
    -- the combinations of the delta rows, each against all rows
    where ({{ columns | join(', ') }}) in (
        select {{ columns | join(', ') }} from {{ model }} where {{ delta }}
    )
    {%- endif %}
    group by {{ columns | join(', ') }}
),

final as (
    select * from counted
    where n_rows > 1
)

select * from final

{% endtest %}
