{%- set source_model = [
    'stg_events__user_registered',
    'stg_events__user_deactivated',
] -%}

{{ sat(
    src_pk='user_hk',
    src_hashdiff='user_lifecycle_hashdiff',
    src_payload=['lifecycle_status', 'deactivation_reason'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
