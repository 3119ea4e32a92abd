{%- set source_model = 'stg_events__ad_impression_served' -%}

{{ t_link(
    src_pk='impression_hk',
    src_fk=['ad_hk', 'user_hk', 'campaign_hk'],
    src_payload=['placement', 'cost', 'currency'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
