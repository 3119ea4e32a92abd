{%- set source_model = 'stg_events__subscription_charged' -%}

{{ t_link(
    src_pk='payment_hk',
    src_fk=['subscriber_hk', 'creator_hk', 'subscription_hk'],
    src_payload=['payment_id', 'tier', 'amount', 'currency', 'period_start', 'period_end'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
