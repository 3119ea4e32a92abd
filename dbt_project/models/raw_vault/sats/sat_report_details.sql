{%- set source_model = 'stg_events__report_filed' -%}

{{ sat(
    src_pk='report_hk',
    src_hashdiff='report_details_hashdiff',
    src_payload=['reason', 'target_type'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
