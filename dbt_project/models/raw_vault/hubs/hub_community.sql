{%- set source_model = [
    'stg_events__community_created',
    'stg_events__community_topic_added',
    'stg_events__group_created',
    {'model': 'stg_events__donation_made', 'columns': {'community_hk': 'recipient_hk', 'community_id': 'recipient_id'}, 'where': "recipient_type = 'community'"},
    'stg_events__post_created',
    'stg_events__comment_created',
    'stg_events__reply_created',
    'stg_events__report_filed',
] -%}

{{ hub(src_pk='community_hk', src_nk='community_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
