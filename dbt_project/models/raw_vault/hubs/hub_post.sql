{%- set source_model = [
    'stg_events__post_created',
    'stg_events__post_shared',
    'stg_events__post_quoted',
    'stg_events__post_viewed',
    'stg_events__post_pinned',
    'stg_events__sponsorship_created',
    {'model': 'stg_events__comment_created', 'columns': {'post_hk': 'target_hk', 'post_id': 'target_id'}, 'where': "target_type = 'post'"},
    {'model': 'stg_events__reply_created', 'columns': {'post_hk': 'target_hk', 'post_id': 'target_id'}, 'where': "target_type = 'post'"},
    {'model': 'stg_events__reaction_added', 'columns': {'post_hk': 'target_hk', 'post_id': 'target_id'}, 'where': "target_type = 'post'"},
    {'model': 'stg_events__reaction_removed', 'columns': {'post_hk': 'target_hk', 'post_id': 'target_id'}, 'where': "target_type = 'post'"},
    {'model': 'stg_events__report_filed', 'columns': {'post_hk': 'target_hk', 'post_id': 'target_id'}, 'where': "target_type = 'post'"},
    {'model': 'stg_events__media_attached', 'columns': {'post_hk': 'target_hk', 'post_id': 'target_id'}, 'where': "target_type = 'post'"},
    'stg_events__post_deleted',
    'stg_events__post_unpinned',
] -%}

{{ hub(src_pk='post_hk', src_nk='post_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
