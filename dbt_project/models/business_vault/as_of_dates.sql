{#- One row per day from the first event day (or var as_of_start) to today: the as-of
    spine of the PIT and bridge tables. -#}
with

bounds as (
    select
        {%- if var("as_of_start") %}
        cast('{{ var("as_of_start") }}' as date) as first_day,
        {%- else %}
        coalesce(cast(min(effective_from) as date), current_date) as first_day,
        {%- endif %}
        current_date as last_day
    from {{ ref('sat_user_lifecycle') }}
),

days as (
    select cast(generate_series(bounds.first_day, bounds.last_day, interval '1 day') as date) as as_of_date
    from bounds
),

final as (
    select as_of_date from days
)

select * from final
