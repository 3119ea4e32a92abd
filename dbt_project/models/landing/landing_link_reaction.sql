{#- ClickHouse replica of link_reaction: the user, target and target author of each reaction (rows by key; no event time, so partitioned by load month). -#}
{{ landing_replica('link_reaction', order_by='reaction_hk', partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
