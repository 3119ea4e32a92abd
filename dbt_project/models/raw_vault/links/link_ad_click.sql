{%- set source_model = 'stg_events__ad_clicked' -%}

{{ t_link(
    src_pk='click_hk',
    src_fk=['ad_hk', 'user_hk', 'campaign_hk', 'impression_hk'],
    src_payload=['impression_event_id', 'cost', 'currency'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
