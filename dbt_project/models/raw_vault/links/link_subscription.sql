{%- set source_model = [
    'stg_events__subscription_started',
    'stg_events__subscription_ended',
] -%}

{{ link(
    src_pk='subscription_hk',
    src_fk=['subscriber_hk', 'creator_hk'],
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
