{#- ClickHouse replica of link_post_author: the user who published each post (rows by key; no event time, so partitioned by load month). -#}
{{ landing_replica('link_post_author', order_by='post_hk', partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
