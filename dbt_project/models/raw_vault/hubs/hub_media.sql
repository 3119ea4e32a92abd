{%- set source_model = [
    'stg_events__photo_uploaded',
    'stg_events__video_uploaded',
    'stg_events__story_created',
    'stg_events__reel_created',
    'stg_events__media_attached',
    'stg_events__thumbnail_generated',
] -%}

{{ hub(src_pk='media_hk', src_nk=['media_type', 'media_id'], src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
