{%- set source_model = 'stg_events__user_settings_changed' -%}

{{ sat(
    src_pk='user_hk',
    src_hashdiff='settings_hashdiff',
    src_payload=['language', 'theme', 'email_notifications', 'push_notifications', 'autoplay_videos'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
