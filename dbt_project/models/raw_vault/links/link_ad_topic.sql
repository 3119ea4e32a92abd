{%- set source_model = 'stg_events__ad_created' -%}

{{ link(
    src_pk='ad_topic_hk',
    src_fk=['ad_hk', 'topic_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
