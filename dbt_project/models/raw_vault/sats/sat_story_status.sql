{%- set source_model = [
    'stg_events__story_created',
    'stg_events__story_expired',
] -%}

{{ sat(
    src_pk='story_hk',
    src_hashdiff='story_status_hashdiff',
    src_payload=['story_status'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
