{%- set source_model = 'stg_events__thumbnail_generated' -%}

{{ link(
    src_pk='media_thumbnail_hk',
    src_fk=['thumbnail_hk', 'media_hk'],
    src_payload=['thumbnail_id', 'width', 'height'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
