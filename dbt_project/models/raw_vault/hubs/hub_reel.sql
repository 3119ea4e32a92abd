{%- set source_model = [
    'stg_events__reel_created',
    'stg_events__reel_viewed',
    {'model': 'stg_events__comment_created', 'columns': {'reel_hk': 'target_hk', 'reel_id': 'target_id'}, 'where': "target_type = 'reel'"},
    {'model': 'stg_events__reply_created', 'columns': {'reel_hk': 'target_hk', 'reel_id': 'target_id'}, 'where': "target_type = 'reel'"},
    {'model': 'stg_events__reaction_added', 'columns': {'reel_hk': 'target_hk', 'reel_id': 'target_id'}, 'where': "target_type = 'reel'"},
    {'model': 'stg_events__reaction_removed', 'columns': {'reel_hk': 'target_hk', 'reel_id': 'target_id'}, 'where': "target_type = 'reel'"},
    {'model': 'stg_events__report_filed', 'columns': {'reel_hk': 'target_hk', 'reel_id': 'target_id'}, 'where': "target_type = 'reel'"},
    {'model': 'stg_events__media_attached', 'columns': {'reel_hk': 'target_hk', 'reel_id': 'target_id'}, 'where': "target_type = 'reel'"},
] -%}

{{ hub(src_pk='reel_hk', src_nk='reel_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
