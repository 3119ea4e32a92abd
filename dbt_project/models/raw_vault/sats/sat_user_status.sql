{%- set source_model = [
    'stg_events__user_came_online',
    'stg_events__user_went_offline',
] -%}

{{ sat(
    src_pk='user_hk',
    src_hashdiff='status_hashdiff',
    src_payload=['online_status', 'session_id', 'device', 'session_seconds'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
