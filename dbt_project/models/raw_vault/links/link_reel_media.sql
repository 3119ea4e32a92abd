{%- set source_model = 'stg_events__reel_created' -%}

{{ link(
    src_pk='reel_media_hk',
    src_fk=['reel_hk', 'media_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
