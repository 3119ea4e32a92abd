{%- set source_model = 'stg_events__sponsorship_created' -%}

{{ t_link(
    src_pk='sponsorship_hk',
    src_fk=['advertiser_hk', 'creator_hk'],
    src_payload=['sponsorship_id', 'amount', 'currency'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
