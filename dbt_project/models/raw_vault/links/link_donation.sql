{%- set source_model = 'stg_events__donation_made' -%}

{{ t_link(
    src_pk='donation_hk',
    src_fk=['donor_hk', 'recipient_type', 'recipient_hk'],
    src_payload=['donation_id', 'amount', 'currency', 'message'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
