{%- set source_model = 'stg_events__story_created' -%}

{{ link(
    src_pk='story_media_hk',
    src_fk=['story_hk', 'media_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
