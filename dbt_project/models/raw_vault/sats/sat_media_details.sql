{%- set source_model = [
    'stg_events__photo_uploaded',
    'stg_events__video_uploaded',
] -%}

{{ sat(
    src_pk='media_hk',
    src_hashdiff='media_details_hashdiff',
    src_payload=['width', 'height', 'size_bytes', 'media_format', 'duration_s'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
