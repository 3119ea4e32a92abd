{%- set source_model = [
    'stg_events__comment_created',
    'stg_events__reply_created',
    {'model': 'stg_events__reply_created', 'columns': {'comment_hk': 'parent_comment_hk', 'comment_id': 'parent_comment_id'}},
    {'model': 'stg_events__reaction_added', 'columns': {'comment_hk': 'target_hk', 'comment_id': 'target_id'}, 'where': "target_type = 'comment'"},
    {'model': 'stg_events__reaction_removed', 'columns': {'comment_hk': 'target_hk', 'comment_id': 'target_id'}, 'where': "target_type = 'comment'"},
    {'model': 'stg_events__report_filed', 'columns': {'comment_hk': 'target_hk', 'comment_id': 'target_id'}, 'where': "target_type = 'comment'"},
    {'model': 'stg_events__media_attached', 'columns': {'comment_hk': 'target_hk', 'comment_id': 'target_id'}, 'where': "target_type = 'comment'"},
    'stg_events__comment_deleted',
] -%}

{{ hub(src_pk='comment_hk', src_nk='comment_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
