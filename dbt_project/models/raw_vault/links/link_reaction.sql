{%- set source_model = [
    'stg_events__reaction_added',
    'stg_events__reaction_removed',
] -%}

{{ link(
    src_pk='reaction_hk',
    src_fk=['user_hk', 'target_type', 'target_hk', 'target_author_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
