{%- set source_model = 'stg_events__group_created' -%}

{{ link(
    src_pk='group_owner_hk',
    src_fk=['group_hk', 'owner_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
