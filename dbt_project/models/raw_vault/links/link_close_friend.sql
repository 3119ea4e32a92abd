{%- set source_model = [
    'stg_events__close_friend_added',
    'stg_events__close_friend_removed',
] -%}

{{ link(
    src_pk='close_friend_hk',
    src_fk=['user_hk', 'target_user_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
