{%- set source_model = [
    'stg_events__story_created',
    'stg_events__story_viewed',
    'stg_events__story_expired',
    {'model': 'stg_events__reaction_added', 'columns': {'story_hk': 'target_hk', 'story_id': 'target_id'}, 'where': "target_type = 'story'"},
    {'model': 'stg_events__reaction_removed', 'columns': {'story_hk': 'target_hk', 'story_id': 'target_id'}, 'where': "target_type = 'story'"},
    {'model': 'stg_events__report_filed', 'columns': {'story_hk': 'target_hk', 'story_id': 'target_id'}, 'where': "target_type = 'story'"},
    {'model': 'stg_events__media_attached', 'columns': {'story_hk': 'target_hk', 'story_id': 'target_id'}, 'where': "target_type = 'story'"},
] -%}

{{ hub(src_pk='story_hk', src_nk='story_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
