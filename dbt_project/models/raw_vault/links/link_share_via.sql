{%- set source_model = [
    'stg_events__post_shared',
    'stg_events__post_quoted',
] -%}

{{ link(
    src_pk='share_via_hk',
    src_fk=['share_hk', 'via_share_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
