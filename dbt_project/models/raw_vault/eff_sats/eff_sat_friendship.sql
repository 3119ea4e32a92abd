{%- set source_model = [
    'stg_events__friendship_started',
    'stg_events__friendship_ended',
] -%}

{{ eff_sat(
    src_pk='friendship_hk',
    src_dfk=['user_a_hk'],
    src_sfk=['user_b_hk'],
    src_status='is_active',
    src_hashdiff='friendship_status_hashdiff',
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model,
    src_payload=['acted_by_user_id', 'friendship_source']
) }}
