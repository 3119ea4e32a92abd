{%- set source_model = [
    'stg_events__follow_started',
    'stg_events__follow_ended',
] -%}

{{ link(
    src_pk='follow_hk',
    src_fk=['follower_hk', 'followee_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
