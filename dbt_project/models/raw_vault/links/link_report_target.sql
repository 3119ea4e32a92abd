{%- set source_model = 'stg_events__report_filed' -%}

{{ link(
    src_pk='report_target_hk',
    src_fk=['report_hk', 'reporter_hk', 'target_type', 'target_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
