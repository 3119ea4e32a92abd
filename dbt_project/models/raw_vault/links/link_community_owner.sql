{%- set source_model = 'stg_events__community_created' -%}

{{ link(
    src_pk='community_owner_hk',
    src_fk=['community_hk', 'owner_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
