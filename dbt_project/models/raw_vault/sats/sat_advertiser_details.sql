{%- set source_model = 'stg_events__ad_campaign_created' -%}

{{ sat(
    src_pk='advertiser_hk',
    src_hashdiff='advertiser_details_hashdiff',
    src_payload=['advertiser_name'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
