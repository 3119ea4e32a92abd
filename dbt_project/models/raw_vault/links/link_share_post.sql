{%- set source_model = [
    'stg_events__post_shared',
    'stg_events__post_quoted',
] -%}

{{ link(
    src_pk='share_post_hk',
    src_fk=['share_hk', 'post_hk', 'user_hk', 'post_author_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
