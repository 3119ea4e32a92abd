{%- set source_model = 'stg_events__post_created' -%}

{{ link(
    src_pk='post_topic_hk',
    src_fk=['post_hk', 'topic_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
