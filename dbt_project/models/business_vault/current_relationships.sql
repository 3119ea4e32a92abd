{#- The relationships active now (one row per link): the current social graph. -#}
{{ config(materialized='view') }}

with

periods as (
    select * from {{ ref('relationship_periods') }}
),

final as (
    select
        relation,
        link_hk,
        driving_hk,
        secondary_hk,
        effective_from as active_since
    from periods
    where is_current
)

select * from final
