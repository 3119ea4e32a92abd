{%- set source_model = 'stg_events__media_attached' -%}

{{ link(
    src_pk='media_attachment_hk',
    src_fk=['attachment_hk', 'media_hk', 'target_type', 'target_hk'],
    src_payload=['position'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
