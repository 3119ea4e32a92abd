{%- set source_model = 'stg_events__user_profile_updated' -%}

{{ sat(
    src_pk='user_hk',
    src_hashdiff='profile_hashdiff',
    src_payload=['display_name', 'bio', 'city', 'website', 'avatar_photo_id'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
