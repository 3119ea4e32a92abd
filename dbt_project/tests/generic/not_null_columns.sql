{#- None of the given columns is null: one query per model instead of one per column
    (hundreds of vault tables and columns; each dbt test has a fixed cost). Delta rows
    only when load_ts_from is set (delta_predicate). -#}
{% test not_null_columns(model, columns) %}
{%- set delta = delta_predicate(model) %}

with

final as (
    select *
    from {{ model }}
    where
        (
            {%- for col in columns %}
            {{ col }} is null{% if not loop.last %} or{% endif %}
            {%- endfor %}
        )
        {%- if delta %}
        and {{ delta }}
        {%- endif %}
)

select * from final

{% endtest %}
