{%- set source_model = [
    'stg_events__post_created',
    'stg_events__post_deleted',
] -%}

{{ sat(
    src_pk='post_hk',
    src_hashdiff='post_status_hashdiff',
    src_payload=['post_status', 'removed_by'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
