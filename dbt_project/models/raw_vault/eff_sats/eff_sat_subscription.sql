{%- set source_model = [
    'stg_events__subscription_started',
    'stg_events__subscription_ended',
] -%}

{{ eff_sat(
    src_pk='subscription_hk',
    src_dfk=['subscriber_hk'],
    src_sfk=['creator_hk'],
    src_status='is_active',
    src_hashdiff='subscription_status_hashdiff',
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model,
    src_payload=['tier']
) }}
