{%- set source_model = [
    'stg_events__post_created',
    'stg_events__reel_created',
    'stg_events__comment_created',
    'stg_events__reply_created',
    'stg_events__community_topic_added',
    'stg_events__ad_created',
] -%}

{{ hub(src_pk='topic_hk', src_nk='topic', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
