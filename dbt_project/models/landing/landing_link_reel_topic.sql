{#- ClickHouse replica of link_reel_topic: the topic of each reel (rows by key; no event time, so partitioned by load month). -#}
{{ landing_replica('link_reel_topic', order_by='reel_hk', partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
