{%- set source_model = 'stg_events__reel_viewed' -%}

{{ t_link(
    src_pk='view_hk',
    src_fk=['reel_hk', 'viewer_hk', 'author_hk'],
    src_payload=['watched_ms', 'completed'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
