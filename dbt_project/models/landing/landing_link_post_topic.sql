{#- ClickHouse replica of link_post_topic: the topic of each post (rows by key; no event time, so partitioned by load month). -#}
{{ landing_replica('link_post_topic', order_by='post_hk', partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
