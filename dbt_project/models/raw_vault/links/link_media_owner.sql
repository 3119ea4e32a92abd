{%- set source_model = [
    'stg_events__photo_uploaded',
    'stg_events__video_uploaded',
] -%}

{{ link(
    src_pk='media_owner_hk',
    src_fk=['media_hk', 'owner_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
