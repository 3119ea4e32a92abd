{%- set source_model = [
    'stg_events__follow_started',
    'stg_events__follow_ended',
] -%}

{{ eff_sat(
    src_pk='follow_hk',
    src_dfk=['follower_hk'],
    src_sfk=['followee_hk'],
    src_status='is_active',
    src_hashdiff='follow_status_hashdiff',
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
