{%- set source_model = 'stg_events__album_created' -%}

{{ link(
    src_pk='album_owner_hk',
    src_fk=['album_hk', 'owner_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
