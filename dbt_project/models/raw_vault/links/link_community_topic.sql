{%- set source_model = 'stg_events__community_topic_added' -%}

{{ link(
    src_pk='community_topic_hk',
    src_fk=['community_hk', 'topic_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
