{%- set source_model = [
    'stg_events__comment_created',
    'stg_events__reply_created',
] -%}

{{ sat(
    src_pk='comment_hk',
    src_hashdiff='comment_details_hashdiff',
    src_payload=['comment_text'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
