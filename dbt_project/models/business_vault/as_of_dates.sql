{#- One row per UTC day from the first event day (or var as_of_start) to the day of the
    run's snapshot bound (load_ts_to): the as-of spine of the PIT. A few hundred rows,
    rebuilt every run. -#}
{{ config(materialized='table') }}

with

lifecycle as (
    select effective_from from {{ ref('sat_user_lifecycle') }}
),

bounds as (
    select
        {%- if var("as_of_start") %}
        cast('{{ var("as_of_start") }}' as date) as first_day,
        {%- else %}
        coalesce(
            cast(min(effective_from) as date), cast('{{ load_ts_to()[:10] }}' as date)
        ) as first_day,
        {%- endif %}
        cast('{{ load_ts_to()[:10] }}' as date) as last_day
    from lifecycle
),

days as (
    select cast(generate_series(bounds.first_day, bounds.last_day, interval '1 day') as date) as as_of_date
    from bounds
),

final as (
    select as_of_date from days
)

select * from final
