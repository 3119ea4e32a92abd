{%- set source_model = 'stg_events__ad_campaign_created' -%}

{{ link(
    src_pk='campaign_advertiser_hk',
    src_fk=['campaign_hk', 'advertiser_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
