{%- set source_model = 'stg_events__ad_created' -%}

{{ sat(
    src_pk='ad_hk',
    src_hashdiff='ad_details_hashdiff',
    src_payload=['ad_format', 'headline', 'target_url'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
