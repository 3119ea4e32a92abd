{%- set source_model = [
    'stg_events__post_pinned',
    'stg_events__post_unpinned',
] -%}

{{ eff_sat(
    src_pk='pinned_post_hk',
    src_dfk=['group_hk'],
    src_sfk=['post_hk'],
    src_status='is_active',
    src_hashdiff='pinned_post_status_hashdiff',
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model,
    src_payload=['by_user_id']
) }}
