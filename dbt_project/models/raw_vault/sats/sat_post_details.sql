{%- set source_model = 'stg_events__post_created' -%}

{{ sat(
    src_pk='post_hk',
    src_hashdiff='post_details_hashdiff',
    src_payload=['post_text', 'language', 'visibility', 'media_count', 'hashtag_list'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
