{#- The stored hashdiff equals the hashdiff macro recomputed over the stored payload
    columns: the staging hashdiff and the table agree, and the rule has not drifted
    (on the delta rows when load_ts_from is set). -#}
{% test hashdiff_is_stable(model, columns) %}
{%- set delta = delta_predicate(model) %}

with

recomputed as (
    select
        hashdiff,
        {{ hashdiff(columns) }} as recomputed_hashdiff
    from {{ model }}
    {%- if delta %}
    where {{ delta }}
    {%- endif %}
),

final as (
    select * from recomputed
    where hashdiff <> recomputed_hashdiff
)

select * from final

{% endtest %}
