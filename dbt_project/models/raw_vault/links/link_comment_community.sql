{%- set source_model = [
    'stg_events__comment_created',
    'stg_events__reply_created',
] -%}

{{ link(
    src_pk='comment_community_hk',
    src_fk=['comment_hk', 'community_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
