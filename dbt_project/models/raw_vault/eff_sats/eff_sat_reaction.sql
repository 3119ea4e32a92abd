{%- set source_model = [
    'stg_events__reaction_added',
    'stg_events__reaction_removed',
] -%}

{{ eff_sat(
    src_pk='reaction_hk',
    src_dfk=['user_hk'],
    src_sfk=['target_hk'],
    src_status='is_active',
    src_hashdiff='reaction_status_hashdiff',
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model,
    src_payload=['reaction_type']
) }}
