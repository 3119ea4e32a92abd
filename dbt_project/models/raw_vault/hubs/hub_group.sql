{%- set source_model = [
    'stg_events__group_created',
    'stg_events__group_joined',
    'stg_events__group_moderator_added',
    'stg_events__post_pinned',
    {'model': 'stg_events__report_filed', 'columns': {'group_hk': 'target_hk', 'group_id': 'target_id'}, 'where': "target_type = 'group'"},
    'stg_events__group_left',
    'stg_events__group_moderator_removed',
    'stg_events__post_unpinned',
    'stg_events__post_created',
    'stg_events__report_filed',
] -%}

{{ hub(src_pk='group_hk', src_nk='group_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
