{{ config(indexes=[{'columns': ['community_hk'], 'unique': true}]) }}

{%- set source_model = [
    'stg_events__community_created',
    'stg_events__community_topic_added',
    'stg_events__group_created',
] -%}

{{ hub(src_pk='community_hk', src_nk='community_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
