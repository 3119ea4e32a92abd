{{ config(indexes=[{'columns': ['reel_hk'], 'unique': true}]) }}

{%- set source_model = [
    'stg_events__reel_created',
    'stg_events__reel_viewed',
] -%}

{{ hub(src_pk='reel_hk', src_nk='reel_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
