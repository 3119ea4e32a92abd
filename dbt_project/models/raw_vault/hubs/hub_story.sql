{{ config(indexes=[{'columns': ['story_hk'], 'unique': true}]) }}

{%- set source_model = [
    'stg_events__story_created',
    'stg_events__story_viewed',
    'stg_events__story_expired',
] -%}

{{ hub(src_pk='story_hk', src_nk='story_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
