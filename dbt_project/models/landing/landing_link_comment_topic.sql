{#- ClickHouse replica of link_comment_topic: the topic of the content each comment is on (rows by key; no event time, so partitioned by load month). -#}
{{ landing_replica('link_comment_topic', order_by='comment_hk', partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
