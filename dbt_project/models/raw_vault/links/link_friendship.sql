{%- set source_model = [
    'stg_events__friendship_started',
    'stg_events__friendship_ended',
] -%}

{{ link(
    src_pk='friendship_hk',
    src_fk=['user_a_hk', 'user_b_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
