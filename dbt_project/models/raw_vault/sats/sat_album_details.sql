{%- set source_model = 'stg_events__album_created' -%}

{{ sat(
    src_pk='album_hk',
    src_hashdiff='album_details_hashdiff',
    src_payload=['title', 'visibility'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
