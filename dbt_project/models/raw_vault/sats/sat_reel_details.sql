{%- set source_model = 'stg_events__reel_created' -%}

{{ sat(
    src_pk='reel_hk',
    src_hashdiff='reel_details_hashdiff',
    src_payload=['duration_s', 'caption'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
