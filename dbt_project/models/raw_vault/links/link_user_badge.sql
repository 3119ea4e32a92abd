{%- set source_model = 'stg_events__badge_awarded' -%}

{{ t_link(
    src_pk='user_badge_hk',
    src_fk=['user_hk', 'badge_hk'],
    src_payload=[],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
