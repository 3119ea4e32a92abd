{%- set source_model = 'stg_events__post_viewed' -%}

{{ t_link(
    src_pk='view_hk',
    src_fk=['post_hk', 'viewer_hk', 'author_hk'],
    src_payload=['view_source', 'via_share_id', 'dwell_ms'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
