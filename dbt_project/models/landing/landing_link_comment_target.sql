{#- ClickHouse replica of link_comment_target: the author and the post or reel of each comment (rows by key; no event time, so partitioned by load month). -#}
{{ landing_replica('link_comment_target', order_by='comment_hk', partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
