{%- set source_model = [
    'stg_events__report_filed',
    'stg_events__report_resolved',
] -%}

{{ hub(src_pk='report_hk', src_nk='report_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
