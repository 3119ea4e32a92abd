{#- Every row satisfies the boolean SQL expression (e.g. a range such as
    "ctr between 0 and 1" or "dau <= wau"); returns the rows that do not. -#}
{% test expression_is_true(model, expression) %}

with

final as (
    select *
    from {{ model }}
    where not ({{ expression }})
)

select * from final

{% endtest %}
