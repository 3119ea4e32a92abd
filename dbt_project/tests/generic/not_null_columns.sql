{#- None of the given columns is null: one query per model instead of one per column
    (hundreds of vault tables and columns; each dbt test has a fixed cost). -#}
{% test not_null_columns(model, columns) %}

with

final as (
    select *
    from {{ model }}
    where
        {%- for col in columns %}
        {{ col }} is null{% if not loop.last %} or{% endif %}
        {%- endfor %}
)

select * from final

{% endtest %}
