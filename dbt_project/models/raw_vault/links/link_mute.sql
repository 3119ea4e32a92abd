{%- set source_model = [
    'stg_events__mute_started',
    'stg_events__mute_ended',
] -%}

{{ link(
    src_pk='mute_hk',
    src_fk=['user_hk', 'target_user_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
