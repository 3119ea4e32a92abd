{#- One row per UTC day and currency: money the platform's users and advertisers moved:
    donations, sponsorships and creator-subscription payments (count and amount), and
    their total. Amounts are never summed across currencies. Incremental (delete+insert by
    day): the days touched by newly loaded payments are rebuilt from the landing tables. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_date',
    order_by='(activity_date, currency)',
    partition_by='toYYYYMM(activity_date)',
) }}

{%- set recompute_from = mart_recompute_from(['link_donation', 'link_sponsorship', 'link_subscription_payment']) -%}

with

donations as (
    select amount, currency, effective_from from {{ ref('landing_link_donation') }}
    {{ mart_window_filter(recompute_from) }}
),

sponsorships as (
    select amount, currency, effective_from from {{ ref('landing_link_sponsorship') }}
    {{ mart_window_filter(recompute_from) }}
),

subscription_payments as (
    select amount, currency, effective_from from {{ ref('landing_link_subscription_payment') }}
    {{ mart_window_filter(recompute_from) }}
),

payments as (
    select 'donation' as stream, amount, currency, effective_from from donations
    union all
    select 'sponsorship' as stream, amount, currency, effective_from from sponsorships
    union all
    select 'subscription' as stream, amount, currency, effective_from from subscription_payments
),

typed as (
    select
        stream,
        toDate(assumeNotNull(effective_from)) as activity_date,
        assumeNotNull(currency) as currency,
        toDecimal64(assumeNotNull(amount), 2) as amount
    from payments
),

final as (
    select
        activity_date,
        currency,
        toUInt64(countIf(stream = 'donation')) as donations,
        toDecimal64(sumIf(amount, stream = 'donation'), 2) as donation_amount,
        toUInt64(countIf(stream = 'sponsorship')) as sponsorships,
        toDecimal64(sumIf(amount, stream = 'sponsorship'), 2) as sponsorship_amount,
        toUInt64(countIf(stream = 'subscription')) as subscription_payments,
        toDecimal64(sumIf(amount, stream = 'subscription'), 2) as subscription_revenue,
        toDecimal64(sum(amount), 2) as total_revenue,
        {{ snapshot_ts() }} as vault_load_ts
    from typed
    group by activity_date, currency
)

select * from final
