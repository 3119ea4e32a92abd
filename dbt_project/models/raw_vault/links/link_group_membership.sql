{%- set source_model = [
    'stg_events__group_joined',
    'stg_events__group_left',
] -%}

{{ link(
    src_pk='group_membership_hk',
    src_fk=['group_hk', 'user_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
