{%- set source_model = 'stg_events__story_viewed' -%}

{{ t_link(
    src_pk='view_hk',
    src_fk=['story_hk', 'viewer_hk', 'author_hk'],
    src_payload=[],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
