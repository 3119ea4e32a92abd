{%- set source_model = [
    'stg_events__mute_started',
    'stg_events__mute_ended',
] -%}

{{ eff_sat(
    src_pk='mute_hk',
    src_dfk=['user_hk'],
    src_sfk=['target_user_hk'],
    src_status='is_active',
    src_hashdiff='mute_status_hashdiff',
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
