{#- Transactional link: every action a user performed (event type and time), the input
    of DAU and WAU. -#}
{{ t_link(src_pk='action_hk', src_fk=['user_hk'], src_payload=['event_type'], src_eff='occurred_at', src_ldts='load_ts', src_source='record_source', source_model='stg_events__user_actions') }}
