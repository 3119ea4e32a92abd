{%- set source_model = 'stg_events__user_privacy_changed' -%}

{{ sat(
    src_pk='user_hk',
    src_hashdiff='privacy_hashdiff',
    src_payload=['profile_visibility', 'message_permission', 'show_online_status', 'searchable'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
