{%- set source_model = [
    'stg_events__ad_campaign_created',
    'stg_events__ad_created',
    'stg_events__sponsorship_created',
] -%}

{{ hub(src_pk='advertiser_hk', src_nk='advertiser_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
