{%- set source_model = [
    'stg_events__user_came_online',
    'stg_events__user_went_offline',
] -%}

{{ hub(src_pk='session_hk', src_nk='session_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
