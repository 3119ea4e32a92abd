{%- set source_model = 'stg_events__photo_uploaded' -%}

{{ link(
    src_pk='album_media_hk',
    src_fk=['album_hk', 'media_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
