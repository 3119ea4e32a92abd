{#- The stored hashdiff equals the hashdiff macro recomputed over the stored payload
    columns: the staging hashdiff and the table agree, and the rule has not drifted. -#}
{% test hashdiff_is_stable(model, columns) %}

with

recomputed as (
    select
        hashdiff,
        {{ hashdiff(columns) }} as recomputed_hashdiff
    from {{ model }}
),

final as (
    select * from recomputed
    where hashdiff <> recomputed_hashdiff
)

select * from final

{% endtest %}
