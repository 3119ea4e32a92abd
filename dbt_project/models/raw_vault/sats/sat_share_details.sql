{%- set source_model = [
    'stg_events__post_shared',
    'stg_events__post_quoted',
] -%}

{{ sat(
    src_pk='share_hk',
    src_hashdiff='share_details_hashdiff',
    src_payload=['share_kind', 'depth', 'destination', 'quote_text'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
