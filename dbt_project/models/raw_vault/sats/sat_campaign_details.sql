{%- set source_model = 'stg_events__ad_campaign_created' -%}

{{ sat(
    src_pk='campaign_hk',
    src_hashdiff='campaign_details_hashdiff',
    src_payload=['objective', 'daily_budget', 'currency', 'starts_on', 'ends_on'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
