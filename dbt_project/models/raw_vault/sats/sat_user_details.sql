{%- set source_model = 'stg_events__user_registered' -%}

{{ sat(
    src_pk='user_hk',
    src_hashdiff='user_details_hashdiff',
    src_payload=['username', 'email', 'full_name', 'locale', 'country', 'birthday', 'signup_device'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
