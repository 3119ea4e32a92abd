{%- set source_model = [
    'stg_events__post_shared',
    'stg_events__post_quoted',
    {'model': 'stg_events__post_shared', 'columns': {'share_hk': 'via_share_hk', 'share_id': 'via_share_id'}},
    {'model': 'stg_events__post_quoted', 'columns': {'share_hk': 'via_share_hk', 'share_id': 'via_share_id'}},
] -%}

{{ hub(src_pk='share_hk', src_nk='share_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
