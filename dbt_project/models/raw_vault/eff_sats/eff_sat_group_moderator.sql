{%- set source_model = [
    'stg_events__group_moderator_added',
    'stg_events__group_moderator_removed',
] -%}

{{ eff_sat(
    src_pk='group_moderator_hk',
    src_dfk=['group_hk'],
    src_sfk=['user_hk'],
    src_status='is_active',
    src_hashdiff='group_moderator_status_hashdiff',
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model,
    src_payload=['by_user_id']
) }}
