{{ config(indexes=[{'columns': ['post_hk'], 'unique': true}]) }}

{%- set source_model = [
    'stg_events__post_created',
    'stg_events__post_shared',
    'stg_events__post_quoted',
    'stg_events__post_viewed',
    'stg_events__post_pinned',
    'stg_events__sponsorship_created',
] -%}

{{ hub(src_pk='post_hk', src_nk='post_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
