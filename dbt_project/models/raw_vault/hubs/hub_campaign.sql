{%- set source_model = [
    'stg_events__ad_campaign_created',
    'stg_events__ad_created',
    'stg_events__ad_impression_served',
    'stg_events__ad_clicked',
] -%}

{{ hub(src_pk='campaign_hk', src_nk='campaign_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
