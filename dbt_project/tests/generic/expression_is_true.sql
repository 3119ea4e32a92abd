{#- Every row satisfies the boolean SQL expression (e.g. a range such as
    "ctr between 0 and 1" or "dau <= wau"); returns the rows that do not (the delta
    rows only when load_ts_from is set). -#}
{% test expression_is_true(model, expression) %}
{%- set delta = delta_predicate(model) %}

with

final as (
    select *
    from {{ model }}
    where
        not ({{ expression }})
        {%- if delta %}
        and {{ delta }}
        {%- endif %}
)

select * from final

{% endtest %}
