{%- set source_model = 'stg_events__story_created' -%}

{{ sat(
    src_pk='story_hk',
    src_hashdiff='story_details_hashdiff',
    src_payload=['media_type', 'expires_at'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
