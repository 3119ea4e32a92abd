{%- set source_model = 'stg_events__report_resolved' -%}

{{ link(
    src_pk='report_moderator_hk',
    src_fk=['report_hk', 'moderator_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
