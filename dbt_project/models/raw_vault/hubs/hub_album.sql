{%- set source_model = [
    'stg_events__album_created',
    'stg_events__photo_uploaded',
] -%}

{{ hub(src_pk='album_hk', src_nk='album_id', src_ldts='load_ts', src_source='record_source', source_model=source_model) }}
