{%- set source_model = [
    'stg_events__group_joined',
    'stg_events__group_left',
] -%}

{{ eff_sat(
    src_pk='group_membership_hk',
    src_dfk=['group_hk'],
    src_sfk=['user_hk'],
    src_status='is_active',
    src_hashdiff='group_membership_status_hashdiff',
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model,
    src_payload=['membership_reason']
) }}
