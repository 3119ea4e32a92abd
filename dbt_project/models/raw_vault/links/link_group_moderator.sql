{%- set source_model = [
    'stg_events__group_moderator_added',
    'stg_events__group_moderator_removed',
] -%}

{{ link(
    src_pk='group_moderator_hk',
    src_fk=['group_hk', 'user_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
