{%- set source_model = [
    'stg_events__comment_created',
    'stg_events__reply_created',
    'stg_events__comment_deleted',
] -%}

{{ sat(
    src_pk='comment_hk',
    src_hashdiff='comment_status_hashdiff',
    src_payload=['comment_status', 'removed_by'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
