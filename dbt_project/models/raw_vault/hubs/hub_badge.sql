{%- set source_model = 'stg_events__badge_awarded' -%}

{{ hub(src_pk='badge_hk', src_nk='badge', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
