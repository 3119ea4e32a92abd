{%- set source_model = 'stg_events__sponsorship_created' -%}

{{ link(
    src_pk='sponsorship_post_hk',
    src_fk=['sponsorship_hk', 'post_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
