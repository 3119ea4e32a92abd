{%- set source_model = 'stg_events__community_created' -%}

{{ sat(
    src_pk='community_hk',
    src_hashdiff='community_details_hashdiff',
    src_payload=['community_name', 'description', 'visibility'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
