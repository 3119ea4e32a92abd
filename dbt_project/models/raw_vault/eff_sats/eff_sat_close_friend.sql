{%- set source_model = [
    'stg_events__close_friend_added',
    'stg_events__close_friend_removed',
] -%}

{{ eff_sat(
    src_pk='close_friend_hk',
    src_dfk=['user_hk'],
    src_sfk=['target_user_hk'],
    src_status='is_active',
    src_hashdiff='close_friend_status_hashdiff',
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
