{%- set source_model = 'stg_events__report_filed' -%}

{{ link(
    src_pk='report_community_hk',
    src_fk=['report_hk', 'community_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
