{%- set source_model = 'stg_events__group_created' -%}

{{ sat(
    src_pk='group_hk',
    src_hashdiff='group_details_hashdiff',
    src_payload=['group_name', 'privacy'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
