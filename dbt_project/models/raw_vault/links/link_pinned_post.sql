{%- set source_model = [
    'stg_events__post_pinned',
    'stg_events__post_unpinned',
] -%}

{{ link(
    src_pk='pinned_post_hk',
    src_fk=['group_hk', 'post_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
