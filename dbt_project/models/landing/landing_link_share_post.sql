{#- ClickHouse replica of link_share_post: the post, sharer and post author of each share or quote (rows by key; no event time, so partitioned by load month). -#}
{{ landing_replica('link_share_post', order_by='share_hk', partition_by='toYYYYMM(assumeNotNull(load_ts))') }}
